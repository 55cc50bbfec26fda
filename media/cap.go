package media

import "time"

// capUsedShare is the share of its cap a publisher must send for a lower cap to
// be told to it. A receiver's estimate follows what it is sent (the estimator
// never allows much more than 1.5× the received rate), so a publisher sending
// less than its cap — a CPU-starved encoder, a still picture — would pull its
// own cap down tick after tick until video paused, with the link idle.
const capUsedShare = 0.7

// publisherCap keeps one publisher's video cap between adaptation ticks. It
// belongs to the room's adaptation loop.
type publisherCap struct {
	cur       int // the cap in force, bit/s; 0 before the first
	lastBytes uint64
	lastAt    time.Time
	rate      float64 // the publisher's video bit/s, smoothed
}

// next returns the cap to apply, given what the receivers can take (want) and
// the publisher's video byte counter: a higher cap at once; a lower one to a
// publisher that uses its current cap or sends more than want, or when video
// to a receiver is paused. A starved publisher keeps its cap.
func (c *publisherCap) next(now time.Time, want int, paused bool, videoBytes uint64) int {
	if secs := now.Sub(c.lastAt).Seconds(); !c.lastAt.IsZero() && secs > 0 {
		c.rate = 0.5*c.rate + 0.5*float64(videoBytes-c.lastBytes)*8/secs
	}
	c.lastBytes, c.lastAt = videoBytes, now
	used := c.rate >= capUsedShare*float64(c.cur) || c.rate > float64(want)
	if c.cur == 0 || want >= c.cur || paused || used {
		c.cur = want
	}
	return c.cur
}
