package queue

import (
	"slices"
	"time"
)

// handleTimes is a moving average over the most recent calls' durations.
type handleTimes struct {
	samples  []time.Duration // ring buffer, at most cap(samples) long
	next     int             // slot to overwrite once the buffer is full
	sum      time.Duration
	fallback time.Duration // the average before any call has ended
}

func newHandleTimes(n int, fallback time.Duration) handleTimes {
	return handleTimes{samples: make([]time.Duration, 0, n), fallback: fallback}
}

// add records one call; non-positive durations carry no information and are ignored.
func (h *handleTimes) add(d time.Duration) {
	if d <= 0 {
		return
	}
	if len(h.samples) < cap(h.samples) {
		h.samples = append(h.samples, d)
		h.sum += d
		return
	}
	h.sum += d - h.samples[h.next]
	h.samples[h.next] = d
	h.next = (h.next + 1) % len(h.samples)
}

func (h *handleTimes) average() time.Duration {
	if len(h.samples) == 0 {
		return h.fallback
	}
	return h.sum / time.Duration(len(h.samples))
}

// recent returns the samples, oldest first.
func (h *handleTimes) recent() []time.Duration {
	if len(h.samples) < cap(h.samples) {
		return slices.Clone(h.samples)
	}
	return append(slices.Clone(h.samples[h.next:]), h.samples[:h.next]...)
}
