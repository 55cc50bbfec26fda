package media

import "time"

// A station whose link turns thin in a call, after a check that found it
// good, is not known thin beforehand (see ExpectThinDownlink); thinWatch finds
// it from the station's own feedback, so that those who send to it speak at
// speechRate too. It needs both signs of a thin link over a whole window: the
// delay-based estimate low in most of the window, and packets lost. The
// estimate alone is low on good links too: in an audio-only call, or on a
// busy machine whose scheduling looks like queueing, it falls to what it is
// sent; such links do not lose packets.
const (
	thinWindow = 10 * time.Second
	// thinBelow: island-weak's 256 kbit/s held the estimate at 150–410 kbit/s.
	thinBelow = 450_000
	// thinAbove is where a thin link counts as good again: a floor's video and
	// full-rate audio fit with room. One that loses under thinLoss counts as
	// good again under it too, once its estimate is no longer mostly under
	// thinBelow: held to 1.5× what the link is sent, the estimate of a
	// receiver sent under ~470 kbit/s (a station's still picture, a busy
	// machine's encoder) never reached thinAbove, and kept those who send to
	// it at speechRate for the rest of the call.
	thinAbove = 700_000
	// thinShare is the share of a window's samples that must be on the thin
	// (or good) side for the window to count.
	thinShare = 0.8
	// thinLoss is the least share of packets lost in a window that counts as
	// thin: island-weak loses 5 %, a good link well under 1 %.
	thinLoss = 0.01
)

// thinWatch belongs to the room's adaptation loop. It decides every half
// window over the last two halves, so that a link is found thin 10–15 s after
// its estimate fell, not up to 20.
type thinWatch struct {
	start     time.Time // of the current half; zero before the first sample
	cur, prev thinCounts
	received  uint64 // the loss counter's totals at start
	lost      uint64
	thin      bool
}

// thinCounts are one half window's samples: how many, how many under
// thinBelow (or with video paused), how many over thinAbove, and the packets
// the feedback reported received and lost.
type thinCounts struct {
	samples, below, above int
	received, lost        uint64
}

// observe takes one sample of a subscriber's link (its delay-based estimate,
// whether its video is paused for a weak link, its loss totals) and tells
// whether the link is thin now.
func (w *thinWatch) observe(now time.Time, delay int, paused bool, loss *lossCounter) bool {
	received, lost := loss.received.Load(), loss.lost.Load()
	if w.start.IsZero() {
		w.start, w.received, w.lost = now, received, lost
		return w.thin
	}
	w.cur.samples++
	switch {
	case paused || delay < thinBelow:
		w.cur.below++
	case delay >= thinAbove:
		w.cur.above++
	}
	if now.Sub(w.start) < thinWindow/2 {
		return w.thin
	}
	w.cur.received, w.cur.lost = received-w.received, lost-w.lost
	if w.prev.samples > 0 {
		w.decide(w.prev.add(w.cur))
	}
	w.prev, w.cur = w.cur, thinCounts{}
	w.start, w.received, w.lost = now, received, lost
	return w.thin
}

// decide judges one whole window.
func (w *thinWatch) decide(c thinCounts) {
	mostlyBelow := float64(c.below) >= thinShare*float64(c.samples)
	mostlyAbove := float64(c.above) >= thinShare*float64(c.samples)
	sent := c.received + c.lost
	lossy := sent > 0 && float64(c.lost) >= thinLoss*float64(sent)
	clean := sent > 0 && !lossy
	switch {
	case !w.thin && mostlyBelow && lossy:
		w.thin = true
	case w.thin && (mostlyAbove || clean && !mostlyBelow):
		w.thin = false
	}
}

func (c thinCounts) add(o thinCounts) thinCounts {
	return thinCounts{c.samples + o.samples, c.below + o.below, c.above + o.above, c.received + o.received, c.lost + o.lost}
}
