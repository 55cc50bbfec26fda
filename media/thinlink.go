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
	// full-rate audio fit with room.
	thinAbove = 700_000
	// thinShare is the share of a window's samples that must be on the thin
	// (or good) side for the window to count.
	thinShare = 0.8
	// thinLoss is the least share of packets lost in a window that counts as
	// thin: island-weak loses 5 %, a good link well under 1 %.
	thinLoss = 0.01
)

// thinWatch belongs to the room's adaptation loop.
type thinWatch struct {
	start          time.Time // of the current window; zero before the first sample
	samples, below int       // in the window; below: on the thin side of the line
	received, lost uint64    // the loss counter's totals at start
	thin           bool
}

// observe takes one sample of a subscriber's link (its delay-based estimate,
// whether its video is paused for a weak link, its loss totals) and tells
// whether the link is thin now.
func (w *thinWatch) observe(now time.Time, delay int, paused bool, loss *lossCounter) bool {
	received, lost := loss.received.Load(), loss.lost.Load()
	if w.start.IsZero() {
		w.begin(now, received, lost)
		return w.thin
	}
	line := thinBelow
	if w.thin {
		line = thinAbove
	}
	w.samples++
	if paused || delay < line {
		w.below++
	}
	if now.Sub(w.start) < thinWindow {
		return w.thin
	}
	mostlyBelow := float64(w.below) >= thinShare*float64(w.samples)
	mostlyAbove := float64(w.samples-w.below) >= thinShare*float64(w.samples)
	got, gone := received-w.received, lost-w.lost
	lossy := got+gone > 0 && float64(gone) >= thinLoss*float64(got+gone)
	switch {
	case !w.thin && mostlyBelow && lossy:
		w.thin = true
	case w.thin && mostlyAbove:
		w.thin = false
	}
	w.begin(now, received, lost)
	return w.thin
}

func (w *thinWatch) begin(now time.Time, received, lost uint64) {
	w.start, w.samples, w.below = now, 0, 0
	w.received, w.lost = received, lost
}
