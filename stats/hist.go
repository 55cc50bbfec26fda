package stats

import (
	"math"
	"sort"
)

// denseWaits bounds the waits (in tenths of a second: ten minutes) a
// dense histogram counts in an array; longer or negative ones go in a map.
const denseWaits = 6000

// hist counts waits in tenths of a second. Parts computed from the
// records keep a map (a day holds few distinct waits per group); parts
// that merge a period's days keep an array, so merging a month's
// rolled-up rows is additions, not map updates.
type hist struct {
	dense   []int32 // wait → calls, for 0 ≤ wait < denseWaits; nil when sparse only
	sparse  map[int64]int
	isDense bool
}

func (h *hist) add(k int64, n int) {
	if h.isDense && k >= 0 && k < denseWaits {
		if h.dense == nil {
			h.dense = make([]int32, denseWaits)
		}
		h.dense[k] += int32(n)
		return
	}
	if h.sparse == nil {
		h.sparse = map[int64]int{}
	}
	h.sparse[k] += n
}

func (h *hist) merge(o *hist) {
	for k, n := range o.dense {
		if n != 0 {
			h.add(int64(k), int(n))
		}
	}
	for k, n := range o.sparse {
		h.add(k, n)
	}
}

// each calls fn for every wait counted, in ascending order.
func (h *hist) each(fn func(k int64, n int)) {
	keys := make([]int64, 0, len(h.sparse))
	for k := range h.sparse {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	i := 0
	for ; i < len(keys) && keys[i] < 0; i++ {
		fn(keys[i], h.sparse[keys[i]])
	}
	for k, n := range h.dense {
		if n != 0 {
			fn(int64(k), int(n))
		}
	}
	for ; i < len(keys); i++ {
		fn(keys[i], h.sparse[keys[i]])
	}
}

// percentile is the nearest-rank percentile q of the waits: the smallest
// wait with at least q of the waits at or below it. Rounding every wait to
// a tenth first gives the rounded percentile of the exact waits, since
// rounding keeps their order.
func (h *hist) percentile(q float64) int64 {
	n := 0
	h.each(func(_ int64, c int) { n += c })
	rank := max(int(math.Ceil(q*float64(n)))-1, 0)
	seen, out, found := 0, int64(0), false
	h.each(func(k int64, c int) {
		seen += c
		if !found && seen > rank {
			out, found = k, true
		}
	})
	return out
}
