package media

import (
	"math"
	"sync/atomic"
)

// How many redundant frames a receiver gets follows the loss it reports: with
// random loss p a frame is lost for good only when its packet and the k packets
// after it are all lost, p^(k+1). Loss in bursts takes the next packet with
// its own far more often than p: as often as a loss follows a loss in the
// receiver's transport-wide feedback (follow). The next packet carries the
// first redundant frame; the others are spread beyond the burst (below), so a
// frame is lost for good with p·max(p, follow)·p^(k−1). k is the least that
// brings that under redResidual, up to the configured maximum, and never so
// many that audio alone would exceed the receiver's downlink estimate (its
// delay-based part, which random loss does not lower).
//
// Which frames they are follows the jitter it reports. Loss on radio links
// comes in bursts, and a burst takes a frame and the next few packets that
// would have repeated it: on island-weak's bursts (Gilbert–Elliott, 5 %) the
// two frames before each packet leave 0.85 % of frames beyond rebuilding, the
// previous one and the fifth before it 0.19 % (TestREDSpreadOnIslandWeakBursts).
// A frame repeated d frames later arrives d×20 ms late, in time only where the
// receiver's jitter buffer holds more than that; a buffer follows the arrival
// jitter, so the reach is a few times the jitter the receiver reports, and the
// previous frame is always among those sent.

const (
	// redResidual is the share of frames redundancy may leave unrecoverable.
	redResidual = 0.002
	// redUnknownLoss is the redundancy sent before the receiver's first report.
	redUnknownLoss = 1
	// audioPacketsPerSecond is Opus at 20 ms frames.
	audioPacketsPerSecond = 50
	// audioPacketOverhead is RTP, SRTP and UDP/IPv4 header bytes per packet.
	audioPacketOverhead = 12 + 10 + 28
	// redReachJitters is how far back the oldest repeated frame may be, in
	// multiples of the receiver's interarrival jitter (RFC 3550), which
	// understates the delay swings a jitter buffer must ride out.
	redReachJitters = 6
	// opusClockPerMs is Opus's RTP clock, 48 kHz, per millisecond.
	opusClockPerMs = 48
	// burstMinLosses is the fewest losses a share of losses after a loss is
	// taken from.
	burstMinLosses = 20
)

// redPlan is which earlier frames a packet carries: k of them, the one just
// before it and the rest spread evenly back to the reach-th before it.
type redPlan struct{ k, reach int }

// distance is how many frames before the primary its i-th block (newest
// first) is.
func (p redPlan) distance(i int) int {
	if i == 0 || p.k < 2 {
		return i + 1
	}
	return 1 + i*(p.reach-1)/(p.k-1)
}

// jitterReach is how many frames back a receiver that reports an
// interarrival jitter of jitter (in Opus clock units) can use a repeated
// frame, at most redMaxReach. Worked out per report.
func jitterReach(jitter uint32) int {
	frames := math.Round(redReachJitters * float64(jitter) / opusClockPerMs / (1000 / audioPacketsPerSecond))
	return int(min(frames, redMaxReach))
}

// reachFor is the plan's reach for k frames where the jitter allows frames
// back: at least k.
func reachFor(k, frames int) int {
	if k < 2 {
		return k
	}
	return max(frames, k)
}

// redundancyFor is the number of redundant frames for a reported loss share,
// of which the share follow of losses came right after a loss.
func redundancyFor(loss, follow float64, limit int) int {
	residual := loss
	for k := 0; k < limit; k++ {
		if residual <= redResidual {
			return k
		}
		if k == 0 {
			residual *= max(loss, follow)
		} else {
			residual *= loss
		}
	}
	return limit
}

// audioRate is the bit rate of Opus frames of frameBytes with k redundant
// frames of the same size.
func audioRate(frameBytes, k int) int64 {
	perPacket := audioPacketOverhead + (k+1)*frameBytes
	if k > 0 {
		perPacket += 4*k + 1
	}
	return int64(perPacket) * 8 * audioPacketsPerSecond
}

// redLoss is a receiver's reported loss on one audio track, smoothed so that
// redundancy comes up at the first lossy report and goes down slowly: RTCP
// reports a share over a few seconds, and loss on island links comes in spells.
// Written by the track's RTCP reader, read by the forwarding loop.
type redLoss struct {
	bits atomic.Uint64 // math.Float64bits of the smoothed share
	seen atomic.Bool   // a report came
	// want is the redundancy the smoothed share asks for, up to
	// maxRedundancy: worked out per report, not per forwarded packet.
	want atomic.Int32
	// reach is how far back the last report's jitter allows (jitterReach).
	reach atomic.Int32
	spell lossSpell // owned by the track's RTCP reader
}

// burstWindow turns a lossCounter's totals into the share of losses that
// came right after a loss, over the feedback since it last gave one.
type burstWindow struct{ lost, after uint64 }

// next returns the share, and false until burstMinLosses losses came.
func (w *burstWindow) next(c *lossCounter) (float64, bool) {
	lost, after := c.lost.Load(), c.lostAfterLost.Load()
	if lost-w.lost < burstMinLosses {
		return 0, false
	}
	share := float64(after-w.after) / float64(lost-w.lost)
	w.lost, w.after = lost, after
	return share, true
}

// lossSpell is a loss share smoothed for redundancy, up at once and down a
// quarter of the way at a time, as loss on island links comes in spells; and
// follow, the smoothed share of losses that came right after a loss (0 while
// unknown), from the transport-wide feedback. Owned by one goroutine.
type lossSpell struct {
	share, follow float64
	seen          bool
	bursts        burstWindow
}

// observe takes a new loss share p and, unless c is nil, the feedback's loss
// counts; it returns the smoothed share and the redundancy that asks for.
func (s *lossSpell) observe(p float64, c *lossCounter) (float64, int) {
	if c != nil {
		if share, ok := s.bursts.next(c); ok && s.follow == 0 {
			s.follow = share
		} else if ok {
			s.follow = 0.5*s.follow + 0.5*share
		}
	}
	if s.seen && p < s.share {
		p = s.share - (s.share-p)/4
	}
	s.share, s.seen = p, true
	return s.share, redundancyFor(s.share, s.follow, maxRedundancy)
}

// observe takes one report's fraction lost (of 256) and interarrival jitter,
// and the transport-wide feedback's loss counts (nil: none).
func (l *redLoss) observe(fractionLost uint8, jitter uint32, c *lossCounter) {
	l.reach.Store(int32(jitterReach(jitter)))
	p, want := l.spell.observe(float64(fractionLost)/256, c)
	l.bits.Store(math.Float64bits(p))
	l.want.Store(int32(want))
	l.seen.Store(true)
}

// redFloor is the redundancy a subscriber's transport-wide feedback asks
// for, the least every audio track to it gets. Feedback comes ten times a
// second; a receiver report takes seconds, so when a link turns lossy (a
// station's link at the start of a call, a radio fade) redundancy comes up
// within an adaptation tick instead. It follows the loss of audio packets
// only: video lost in a full queue asks for less sent, not more. Written by
// the room's adaptation loop, read by the forwarding loops.
type redFloor struct {
	want  atomic.Int32
	audio lossWindow // owned by the adaptation loop, as is spell
	spell lossSpell
}

// observe takes the feedback's loss counts since the last tick.
func (f *redFloor) observe(c *lossCounter) {
	if loss, known := f.audio.of(c.audioReceived.Load(), c.audioLost.Load()); known {
		_, want := f.spell.observe(loss, c)
		f.want.Store(int32(want))
	}
}

// share is the smoothed loss share, and whether a report came.
func (l *redLoss) share() (float64, bool) {
	return math.Float64frombits(l.bits.Load()), l.seen.Load()
}

// plan is which redundant frames to send: as many as the loss asks for, and
// at least floor (see redFloor), at most limit, and no more than the
// estimate (bit/s, 0: none) carries with frames of frameBytes; as far back
// as the jitter allows.
func (l *redLoss) plan(limit, frameBytes int, estimate int64, floor int) redPlan {
	k := redUnknownLoss
	if l.seen.Load() {
		k = int(l.want.Load())
	}
	k = min(max(k, floor), limit)
	for k > 0 && estimate > 0 && audioRate(frameBytes, k) > estimate {
		k--
	}
	return redPlan{k: k, reach: reachFor(k, int(l.reach.Load()))}
}
