package signaling

import (
	"testing"
	"time"
)

func TestLinkOfNamesTheQuality(t *testing.T) {
	for _, tc := range []struct {
		rtt     time.Duration
		quality string
		ms      int
	}{
		{0, "", 0},
		{300 * time.Microsecond, "good", 1},
		{150 * time.Millisecond, "good", 150},
		{151 * time.Millisecond, "fair", 151},
		{400 * time.Millisecond, "fair", 400},
		{900 * time.Millisecond, "poor", 900},
	} {
		got := linkOf(tc.rtt)
		if tc.quality == "" {
			if got != nil {
				t.Errorf("linkOf(%v) = %+v, want none (not measured)", tc.rtt, got)
			}
			continue
		}
		if got == nil || got.Quality != tc.quality || got.RTTMs != tc.ms {
			t.Errorf("linkOf(%v) = %+v, want %s, %d ms", tc.rtt, got, tc.quality, tc.ms)
		}
	}
}
