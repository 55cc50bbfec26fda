package signaling

import "time"

// linkInfo is the station's link as the server measured it (the signaling
// socket's round trip), so the agent knows what picture to expect.
type linkInfo struct {
	RTTMs   int    `json:"rtt_ms"`
	Quality string `json:"quality"` // good | fair | poor
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
