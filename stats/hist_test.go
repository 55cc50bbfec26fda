package stats

import (
	"math"
	"sort"
	"testing"
)

// TestWaitHistogramKeepsThePercentile: waits counted in a histogram, in
// parts written and read back as the roll-up does, give the percentile
// of the exact waits, rounded to a tenth of a second, whatever their range.
func TestWaitHistogramKeepsThePercentile(t *testing.T) {
	cases := [][]int64{ // waits in milliseconds
		{10000},
		{10000, 40000, 20000, 100000, 5000, 30000, 50000, 15000},
		{-1200, 0, 49, 50, 51, 149, 150, 151, 250, 599_999, 600_000, 3_600_000},
		{1, 1, 1, 1, 1, 1, 1, 1, 1, 900_000},
	}
	for _, waits := range cases {
		var whole hist
		merged := hist{isDense: true}
		var secs []float64
		for i, ms := range waits {
			w := float64(ms) / 1000
			secs = append(secs, w)
			day := hist{}
			day.add(int64(math.Round(w*10)), 1)
			if i%2 == 0 {
				whole.add(int64(math.Round(w*10)), 1)
			}
			must(t, decodeWaitsInto(&merged, encodeWaits(&day)))
		}
		sort.Float64s(secs)
		want := math.Round(secs[max(int(math.Ceil(0.9*float64(len(secs))))-1, 0)]*10) / 10
		if got := float64(merged.percentile(0.9)) / 10; got != want {
			t.Errorf("%v: p90 %v, want %v", waits, got, want)
		}
		back := hist{isDense: true}
		must(t, decodeWaitsInto(&back, encodeWaits(&whole)))
		if encodeWaits(&back) != encodeWaits(&whole) {
			t.Errorf("%v: %q read back as %q", waits, encodeWaits(&whole), encodeWaits(&back))
		}
	}
	if err := decodeWaitsInto(&hist{}, "12:3,x:1"); err == nil {
		t.Error("a damaged histogram was read")
	}
}
