package media

import (
	"testing"
	"time"
)

// TestLinkProbe feeds a receiver's figures tick by tick and checks when its
// link is probed: only while the estimate is held near what it is sent, with
// neither loss nor overuse, and after a probe that raised nothing only once a
// longer quiet has passed.
func TestLinkProbe(t *testing.T) {
	type tick struct {
		after    time.Duration
		rateKbps int // sent to the receiver since the last tick
		estKbps  int
		loss     float64
		overuse  bool
		wantCap  int // kbit/s; 0: no probe
	}
	tests := []struct {
		name  string
		ticks []tick
	}{
		{"held near what it is sent", []tick{
			{0, 0, 240, 0, false, 0},
			{time.Second, 160, 240, 0, false, 208},
		}},
		{"an estimate well above what it is sent", []tick{
			{0, 0, 900, 0, false, 0},
			{time.Second, 160, 900, 0, false, 0},
		}},
		{"a lossy link", []tick{
			{0, 0, 240, 0.08, false, 0},
			{time.Second, 160, 240, 0.08, false, 0},
			{time.Second, 160, 240, 0.08, false, 0},
		}},
		{"overuse, then quiet", []tick{
			{0, 0, 240, 0, false, 0},
			{time.Second, 160, 240, 0, true, 0},
			{time.Second, 160, 240, 0, false, 0},
			{probeQuiet, 160, 240, 0, false, 208},
		}},
		{"a probe that raised the estimate may go on", []tick{
			{0, 0, 240, 0, false, 0},
			{time.Second, 160, 240, 0, false, 208},
			{time.Second, 200, 300, 0, false, 260},
		}},
		{"a probe that failed waits twice as long", []tick{
			{0, 0, 240, 0, false, 0},
			{time.Second, 160, 240, 0, false, 208},
			{time.Second, 200, 240, 0, true, 0},
			{probeQuiet, 160, 240, 0, false, 0},
			{probeQuiet, 160, 240, 0, false, 208},
		}},
		{"nothing left to probe for", []tick{
			{0, 0, 1600, 0, false, 0},
			{time.Second, 1100, 1600, 0, false, 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lp linkProbe
			now := time.Unix(1_700_000_000, 0)
			var bytes uint64
			for i, k := range tc.ticks {
				now = now.Add(k.after)
				bytes += uint64(k.rateKbps*1000/8) * uint64(k.after/time.Second)
				lp.observe(now, bytes, k.loss, true, k.estKbps*1000, k.overuse)
				if got := lp.minCap() / 1000; got != k.wantCap {
					t.Fatalf("tick %d: probe cap %d kbit/s, want %d", i, got, k.wantCap)
				}
			}
		})
	}
}
