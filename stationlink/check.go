package stationlink

import (
	"fmt"
	"time"
)

// Check is a kiosk's pre-call network check: the round trip of its
// signaling socket, the share of pings not answered in time, and a timed
// download and upload of a small payload.
type Check struct {
	At       time.Time `json:"at"`
	RTTMs    int       `json:"rtt_ms"`
	LossPct  float64   `json:"loss_pct"`
	DownKbps int       `json:"down_kbps"`
	UpKbps   int       `json:"up_kbps"`
}

// Bounds of the figures a kiosk may report.
const (
	maxRTTMs = 60_000
	maxKbps  = 10_000_000
)

// Validate refuses figures no link can have.
func (c Check) Validate() error {
	switch {
	case c.RTTMs < 0 || c.RTTMs > maxRTTMs:
		return fmt.Errorf("rtt_ms must be 0 to %d", maxRTTMs)
	case c.LossPct < 0 || c.LossPct > 100 || c.LossPct != c.LossPct:
		return fmt.Errorf("loss_pct must be 0 to 100")
	case c.DownKbps < 0 || c.DownKbps > maxKbps || c.UpKbps < 0 || c.UpKbps > maxKbps:
		return fmt.Errorf("down_kbps and up_kbps must be 0 to %d", maxKbps)
	}
	return nil
}

// Quality is the check as a plain good / fair / poor.
func (c Check) Quality() string {
	return Grade(c.RTTMs, c.LossPct, min(nonZero(c.DownKbps), nonZero(c.UpKbps)))
}

func nonZero(kbps int) int {
	if kbps == 0 {
		return maxKbps
	}
	return kbps
}

// Thresholds of a good and a fair link; past a fair one it is poor. A good link
// carries a 640×480 face at full rate; a fair one a smaller or slower picture;
// a poor one (island-weak's 256 kbit/s, 300 ms, 5 % bursty loss) hardly video.
const (
	goodRTTMs, fairRTTMs     = 150, 400
	goodLossPct, fairLossPct = 2.0, 5.0
	goodKbps, fairKbps       = 800, 300
)

// Grades of a link.
const (
	Good = "good"
	Fair = "fair"
	Poor = "poor"
)

// Grade rates a link's figures as good, fair or poor. A zero bitrate is
// unknown and does not count.
func Grade(rttMs int, lossPct float64, kbps int) string {
	if kbps == 0 {
		kbps = maxKbps
	}
	switch {
	case rttMs > fairRTTMs || lossPct >= fairLossPct || kbps < fairKbps:
		return Poor
	case rttMs > goodRTTMs || lossPct >= goodLossPct || kbps < goodKbps:
		return Fair
	}
	return Good
}
