package signaling

import "time"

// linkInfo is the station's link as the agent sees it on the offer: the
// signaling socket's round trip the server measured and, once the kiosk ran
// its pre-call check, that check's loss and bandwidth.
type linkInfo struct {
	RTTMs     int     `json:"rtt_ms"`
	Quality   string  `json:"quality"` // good | fair | poor
	Profile   string  `json:"profile,omitempty"`
	LossPct   float64 `json:"loss_pct,omitempty"`
	DownKbps  int     `json:"down_kbps,omitempty"`
	UpKbps    int     `json:"up_kbps,omitempty"`
	CheckedAt string  `json:"checked_at,omitempty"` // RFC 3339, when the kiosk checked
}

// Round trips up to these are a good or a fair link; beyond, a poor one.
const (
	goodLinkRTT = 150 * time.Millisecond
	fairLinkRTT = 400 * time.Millisecond
)

func linkOf(rtt time.Duration) *linkInfo {
	if rtt <= 0 {
		return nil
	}
	q := "poor"
	switch {
	case rtt <= goodLinkRTT:
		q = "good"
	case rtt <= fairLinkRTT:
		q = "fair"
	}
	return &linkInfo{RTTMs: max(1, int(rtt.Round(time.Millisecond)/time.Millisecond)), Quality: q}
}
