package media

import (
	"testing"
	"time"
)

// TestThinWatch runs a watch over links sampled twice a second: a link is
// found thin only when its estimate is mostly low and it loses packets, and
// good again once its estimate is mostly high, or no longer mostly low with
// nothing lost.
func TestThinWatch(t *testing.T) {
	type phase struct {
		secs   int
		delay  func(i int) int // the estimate at the i-th sample
		lossPc uint64          // packets lost per 100 sent
		paused bool
		want   bool // at the phase's end
	}
	steady := func(bps int) func(int) int { return func(int) int { return bps } }
	// island-weak's estimate: mostly 150–410 kbit/s, over the line one sample in eight.
	swinging := func(i int) int {
		if i%8 == 0 {
			return 520_000
		}
		return 150_000 + 30_000*(i%8)
	}
	cases := []struct {
		name   string
		phases []phase
	}{
		{"a good link", []phase{{30, steady(1_500_000), 0, false, false}}},
		{"an audio-only call: the estimate falls to what it is sent, nothing lost",
			[]phase{{30, steady(60_000), 0, false, false}}},
		{"a good link that loses packets", []phase{{30, steady(1_200_000), 5, false, false}}},
		{"turns thin in the call: found within 15 s", []phase{
			{12, steady(1_500_000), 0, false, false},
			{15, swinging, 5, false, true},
		}},
		{"thin, video paused", []phase{{25, steady(100_000), 20, true, true}}},
		{"thin, then good again", []phase{
			{25, swinging, 5, false, true},
			{25, steady(900_000), 0, false, false},
		}},
		{"thin, then the estimate in between with nothing lost: good again", []phase{
			{25, swinging, 5, false, true},
			{25, steady(600_000), 0, false, false},
		}},
		{"thin, and the estimate in between with packets lost: stays thin", []phase{
			{25, swinging, 5, false, true},
			{25, steady(600_000), 5, false, true},
		}},
		{"thin, and the estimate still mostly low with nothing lost: stays thin", []phase{
			{25, swinging, 5, false, true},
			{25, swinging, 0, false, true},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var w thinWatch
			var loss lossCounter
			now := time.Unix(0, 0)
			for _, ph := range c.phases {
				var got bool
				for i := range ph.secs * 2 {
					loss.received.Add(50 - ph.lossPc/2)
					loss.lost.Add(ph.lossPc / 2)
					got = w.observe(now, ph.delay(i), ph.paused, &loss)
					now = now.Add(500 * time.Millisecond)
				}
				if got != ph.want {
					t.Fatalf("thin %v after %d s, want %v", got, ph.secs, ph.want)
				}
			}
		})
	}
}
