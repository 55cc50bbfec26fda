package signaling

import (
	"testing"
	"time"

	"cloudwindow/media"
)

// The agent's link bar grades the station's link from the SFU's figures: a
// long round trip or heavy loss is poor, and with adaptation off the bitrate
// the station happens to send is shown but does not make the link poor.
func TestLinkWatchFigures(t *testing.T) {
	cases := []struct {
		name  string
		stats []media.PeerStats
		want  string
		kbps  int
	}{
		{"good", []media.PeerStats{{RTT: 40 * time.Millisecond, DownlinkEstimate: 2_000_000}}, "good", 2000},
		{"island-weak estimate", []media.PeerStats{{RTT: 320 * time.Millisecond, DownlinkEstimate: 230_000}}, "poor", 230},
		{"lossy, smoothed", []media.PeerStats{
			{RTT: 60 * time.Millisecond, FractionLost: 0.2, DownlinkEstimate: 2_000_000},
			{RTT: 60 * time.Millisecond, FractionLost: 0.2, DownlinkEstimate: 2_000_000},
		}, "poor", 2000},
		{"adaptation off: sent bitrate shown, not graded", []media.PeerStats{
			{RTT: 40 * time.Millisecond, BytesPublished: 0},
			{RTT: 40 * time.Millisecond, BytesPublished: 25_000}, // 100 kbit/s over 2 s
		}, "good", 100},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := &linkWatch{c: &call{id: "c1"}}
			var d callLinkData
			for _, st := range tc.stats {
				d = w.figures(st)
			}
			if d.Quality != tc.want || d.BitrateKbps != tc.kbps || d.Party != "station" || d.CallID != "c1" {
				t.Errorf("figures %+v, want %s at %d kbit/s", d, tc.want, tc.kbps)
			}
		})
	}
}
