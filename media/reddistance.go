package media

import (
	"math"
	"sync/atomic"
)

// How many redundant frames a receiver gets follows the loss it reports: with
// random loss p a frame is lost for good only when its packet and the k packets
// after it are all lost, p^(k+1). k is the least that brings that under
// redResidual, up to the configured maximum, and never so many that audio
// alone would exceed the receiver's downlink estimate.

const (
	// redResidual is the share of frames redundancy may leave unrecoverable.
	redResidual = 0.002
	// redUnknownLoss is the redundancy sent before the receiver's first report.
	redUnknownLoss = 1
	// audioPacketsPerSecond is Opus at 20 ms frames.
	audioPacketsPerSecond = 50
	// audioPacketOverhead is RTP, SRTP and UDP/IPv4 header bytes per packet.
	audioPacketOverhead = 12 + 10 + 28
)

// redundancyFor is the number of redundant frames for a reported loss share.
func redundancyFor(loss float64, limit int) int {
	for k := 0; k < limit; k++ {
		if math.Pow(loss, float64(k+1)) <= redResidual {
			return k
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
}

// observe takes one report's fraction lost (of 256).
func (l *redLoss) observe(fractionLost uint8) {
	p := float64(fractionLost) / 256
	old := math.Float64frombits(l.bits.Load())
	if l.seen.Load() && p < old {
		p = old - (old-p)/4
	}
	l.bits.Store(math.Float64bits(p))
	l.want.Store(int32(redundancyFor(p, maxRedundancy)))
	l.seen.Store(true)
}

// share is the smoothed loss share, and whether a report came.
func (l *redLoss) share() (float64, bool) {
	return math.Float64frombits(l.bits.Load()), l.seen.Load()
}

// redundancy is how many redundant frames to send: from the loss, at most
// limit, and no more than the estimate (bit/s, 0: none) carries with frames of
// frameBytes.
func (l *redLoss) redundancy(limit, frameBytes int, estimate int64) int {
	k := min(redUnknownLoss, limit)
	if l.seen.Load() {
		k = min(int(l.want.Load()), limit)
	}
	for k > 0 && estimate > 0 && audioRate(frameBytes, k) > estimate {
		k--
	}
	return k
}
