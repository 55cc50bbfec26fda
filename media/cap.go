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
	last      published
	lastAt    time.Time
	rate      float64 // the publisher's video bit/s, smoothed
	audioRate float64 // its audio on the wire, bit/s, smoothed
}

// published is what a publisher has sent so far, in bytes.
type published struct {
	video, audioWire uint64
}

// next returns the cap to apply, given what the receivers can take (want) and
// what the publisher has sent: a higher cap at once; a lower one to a
// publisher that uses its current cap or sends more than want, or when video
// to a receiver is paused. A starved publisher keeps its cap.
func (c *publisherCap) next(now time.Time, want int, paused bool, sent published) int {
	if secs := now.Sub(c.lastAt).Seconds(); !c.lastAt.IsZero() && secs > 0 {
		c.rate = 0.5*c.rate + 0.5*float64(sent.video-c.last.video)*8/secs
		audio := float64(sent.audioWire-c.last.audioWire) * 8 / secs
		if c.audioRate == 0 {
			c.audioRate = audio
		}
		c.audioRate = 0.5*c.audioRate + 0.5*audio
	}
	c.last, c.lastAt = sent, now
	used := c.rate >= capUsedShare*float64(c.cur) || c.rate > float64(want)
	if c.cur == 0 || want >= c.cur || paused || used {
		c.cur = want
	}
	return c.cur
}

// total is the most the publisher's browser may send on its connection (its
// REMB): the video cap and the audio it sends. A browser applies REMB to all
// it sends, so the video cap alone would leave its video less than the cap by
// the audio's rate: the pacer would then hold the camera's packets, up to 2 s
// behind its voice (Chromium's queue limit).
func (c *publisherCap) total() int { return c.cur + int(c.audioRate) }
