package media

import (
	"math"
	"time"
)

// Probing a capped link. A receiver's delay-based estimate grows only past what
// the receiver is sent: pion's GCC holds it to 1.5× the received rate while that
// rate stays near the one of its last decrease. A publisher capped to the
// estimate, less room for resends and audio, sends somewhat under its cap, so
// after a decrease the received rate never leaves that band: the estimate, and
// the cap with it, sink to the floor and stay there, on a 1 Mbit/s link as on a
// 256 kbit/s one. While a receiver's link shows neither congestion nor loss, its
// cap is let a step over what it is sent, and the publisher's encoder itself
// probes the link; an overuse or loss stops that, for longer after each probe
// that did not raise the estimate.
const (
	// probeStep is the cap, over the bit rate the receiver is sent, while probing.
	probeStep = 1.3
	// probeLimited is how close to the sent rate the estimate must be for the
	// link to count as probed no further than what it carries.
	probeLimited = 1.6
	// probeMaxLoss is the smoothed loss share over which no probe is made: over
	// the 1 % of a 4G link, under the 5 % of a weak one.
	probeMaxLoss = 0.03
	// probeCeiling is the estimate over which there is nothing left to probe
	// for: it carries the camera's full picture.
	probeCeiling = 1_500_000
	// probeQuiet is how long after an overuse or loss no probe is made; it
	// doubles after each probe that did not raise the estimate, up to probeQuietMax.
	probeQuiet    = 3 * time.Second
	probeQuietMax = 30 * time.Second
	// probeRaised is how much a probe must raise the estimate to count.
	probeRaised = 1.2
)

// linkProbe decides, at each adaptation tick, whether a receiver's link is to be
// probed. It belongs to the room's adaptation loop.
type linkProbe struct {
	lastBytes  uint64
	lastAt     time.Time
	rate       float64 // bit/s sent to the receiver over the last tick
	loss       float64 // smoothed share of packets lost
	quietUntil time.Time
	quiet      time.Duration
	startEst   int // the estimate when the current probe started; 0: none
	on         bool
}

// observe takes a tick's figures: the bytes sent to the receiver so far, the loss
// it reported since the last tick, and its delay-based estimate and usage.
func (lp *linkProbe) observe(now time.Time, bytes uint64, loss float64, lossKnown bool, estimate int, overuse bool) {
	if dt := now.Sub(lp.lastAt).Seconds(); !lp.lastAt.IsZero() && dt > 0 {
		lp.rate = float64(bytes-min(lp.lastBytes, bytes)) * 8 / dt
	}
	lp.lastBytes, lp.lastAt = bytes, now
	if lossKnown {
		lp.loss = 0.7*lp.loss + 0.3*loss
	}
	// A fall of the estimate alone is no sign: held to 1.5× the received rate,
	// it follows every dip of the encoder's output.
	congested := overuse || lp.loss > probeMaxLoss
	switch {
	case lp.startEst > 0 && float64(estimate) >= probeRaised*float64(lp.startEst):
		lp.startEst, lp.quiet = 0, 0 // the link had more to give
	case congested:
		if lp.startEst > 0 {
			lp.quiet = min(2*max(lp.quiet, probeQuiet), probeQuietMax)
			lp.startEst = 0
		}
		lp.quietUntil = now.Add(max(lp.quiet, probeQuiet))
	}
	lp.on = !now.Before(lp.quietUntil) && estimate < probeCeiling && float64(estimate) < probeLimited*lp.rate
	if lp.on && lp.startEst == 0 {
		lp.startEst = estimate
	}
}

// minCap is the least video cap the probe asks for, 0 while not probing.
func (lp *linkProbe) minCap() int {
	if !lp.on {
		return 0
	}
	return int(math.Min(probeStep*lp.rate, probeCeiling))
}
