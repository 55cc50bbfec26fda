package media

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// The resend cap. A receiver NACKs a missing packet again and again until it arrives
// (pion every 100 ms, browsers about once per RTT), so answering every NACK multiplies
// the traffic on exactly the links that are already losing packets.
const (
	// resendMaxPerPacket is how often one packet is resent to one subscriber.
	resendMaxPerPacket = 3
	// resendMaxGap caps the gap between two resends of a packet; the gap is
	// min(resendMaxGap, 2×RTT), and resendMaxGap alone while the RTT is unknown.
	resendMaxGap = 100 * time.Millisecond
	// resendMaxAge is how old a packet may be when its resend reaches the receiver
	// (age in the cache plus half the RTT), plus one RTT. Browsers play
	// conversational video with a jitter buffer of a few hundred milliseconds,
	// which grows by the round trip a retransmission takes; a packet later than
	// that belongs to a frame that was already skipped or waits for a keyframe.
	// On a 300 ms island link whose bottleneck queues another few hundred, the
	// first NACK of a lost packet reaches the node about a second after it.
	resendMaxAge = time.Second
	// rttMax discards RTT samples that can only come from a clock or report error.
	rttMax = 10 * time.Second
)

// suppressReason says why a NACKed packet was not resent; it labels the metric.
type suppressReason int

const (
	suppressLimit     suppressReason = iota // resent resendMaxPerPacket times already
	suppressInterval                        // resent less than min(100 ms, 2×RTT) ago
	suppressAge                             // too old for the receiver to use
	suppressNotCached                       // no longer (or never) in the packet cache
	suppressBudget                          // the subscriber's downlink estimate is spent
	numSuppressReasons
)

var suppressReasonNames = [numSuppressReasons]string{"limit", "interval", "age", "not_cached", "budget"}

// ResendStats counts one subscriber's NACKed packets: resent, or not resent.
type ResendStats struct {
	Resent     uint64
	Suppressed uint64
}

// ResendStats is what the packet cache did with this peer's NACKs as a subscriber.
func (p *Peer) ResendStats() ResendStats {
	return ResendStats{Resent: p.counters.nacksAnswered.Load(), Suppressed: p.counters.nacksSuppressed.Load()}
}

// resendState is what one resender remembers of one cache slot.
type resendState struct {
	at     int64 // the cached packet's arrival; another value means another packet
	last   int64 // monotonic time of the last resend
	count  uint8
	gaveUp bool // no more resends, and the subscriber's loss was dealt with
}

// resender answers one subscriber's NACKs for one track from the publisher's packet
// cache. It belongs to the track's RTCP goroutine and reuses its buffers.
type resender struct {
	d       *downTrack
	now     func() time.Time
	rtt     time.Duration // smoothed round trip to the subscriber; 0 while unknown
	buf     []byte
	pkt     rtp.Packet
	scratch rtpScratch
	sent    [packetCacheSize]resendState
}

func newResender(d *downTrack) *resender {
	return &resender{d: d, now: time.Now, buf: make([]byte, maxPacketSize)}
}

func (r *resender) answer(nack *rtcp.TransportLayerNack) {
	cache := r.d.up.cache
	if cache == nil {
		return
	}
	for _, pair := range nack.Nacks {
		pair.Range(func(seq uint16) bool {
			if pub, ok := r.d.publisherSeq(seq); ok {
				r.resend(cache, pub, seq)
			}
			return true
		})
	}
}

// resend sends the publisher's packet seq again as the subscriber's packet as.
func (r *resender) resend(cache *packetCache, seq, as uint16) {
	n, at := cache.get(seq, r.buf)
	if n == 0 {
		r.suppress(suppressNotCached)
		return
	}
	now := int64(r.now().Sub(clockEpoch)) + 1
	st := &r.sent[seq&(packetCacheSize-1)]
	if st.at != at {
		*st = resendState{at: at}
	}
	switch {
	case st.count >= resendMaxPerPacket:
		r.suppress(suppressLimit)
		r.giveUp(st, seq, n)
		return
	case st.count > 0 && time.Duration(now-st.last) < r.gap():
		r.suppress(suppressInterval)
		return
	case time.Duration(now-at)+r.rtt/2 > resendMaxAge+r.rtt:
		r.suppress(suppressAge)
		r.giveUp(st, seq, n)
		return
	}
	if err := r.pkt.Unmarshal(r.buf[:n]); err != nil {
		return
	}
	// Last, so that only resends that would go out draw on the budget.
	if !r.withinBudget(n) {
		r.suppress(suppressBudget)
		return
	}
	if r.d.resendRTP(&r.pkt.Header, as, r.pkt.Payload, &r.scratch) {
		st.count++
		st.last = now
		r.d.peer.counters.nacksAnswered.Add(1)
		r.d.peer.metrics.nacksAnswered.Inc()
	}
}

// giveUp deals with the publisher's packet seq, of n bytes in r.buf, that
// the subscriber still asks for and will not get again. Without it the
// subscriber's decoder stalls until a keyframe, and a browser asks for one
// only after seconds without a frame it can decode (libwebrtc: 3 s), so the
// node asks at once: once per packet, and not for a packet above the base
// temporal layer (the frames after it decode) or one a keyframe has
// followed since.
func (r *resender) giveUp(st *resendState, seq uint16, n int) {
	if st.gaveUp || !r.d.video || r.d.up.keyframeAfter(seq) {
		return
	}
	st.gaveUp = true
	if !r.stallsDecoder(r.payloadOf(n)) {
		return
	}
	r.d.requestKeyframe(false)
	r.d.up.metrics.lossKeyframes.Inc()
}

// payloadOf is the payload of the n-byte packet in r.buf; nil if malformed.
func (r *resender) payloadOf(n int) []byte {
	if r.pkt.Unmarshal(r.buf[:n]) != nil {
		return nil
	}
	return r.pkt.Payload
}

// withinBudget takes a resend of n bytes of r.pkt from the subscriber's send
// budget. A packet whose loss stalls the decoder is resent whatever the budget
// holds, and counted in it: refusing it costs the link a keyframe, many times
// its size. On island-weak most of the losses the node gave up on had been
// refused by the budget first (BENCHMARKS.md, "Resends that would cost a
// keyframe").
func (r *resender) withinBudget(n int) bool {
	c := &r.d.peer.counters
	if r.stallsDecoder(r.pkt.Payload) {
		r.d.peer.budget.spend(n)
		return true
	}
	return r.d.peer.budget.take(r.now(), c.bytesForwarded.Load(), c.downlinkEstimate.Load(), n)
}

// stallsDecoder reports whether losing payload, a packet of this track, leaves
// the subscriber's decoder waiting for a keyframe: a video packet not above
// the base temporal layer (the frames after one above it decode).
func (r *resender) stallsDecoder(payload []byte) bool {
	if !r.d.video {
		return false
	}
	if r.d.vp8 {
		if tid, layered := vp8TemporalLayer(payload); layered && tid > 0 {
			return false
		}
	}
	return true
}

// gap is the least time between two resends of one packet: min(100 ms, 2×RTT).
func (r *resender) gap() time.Duration {
	if r.rtt == 0 {
		return resendMaxGap
	}
	return min(resendMaxGap, 2*r.rtt)
}

func (r *resender) suppress(why suppressReason) {
	r.d.peer.counters.nacksSuppressed.Add(1)
	r.d.peer.metrics.resendsSuppressed[why].Inc()
}

// observe takes the round trip from the subscriber's receiver report on this track
// (RFC 3550 section 6.4.1: arrival − LSR − DLSR, in 1/65536 s).
func (r *resender) observe(rr *rtcp.ReceiverReport) {
	b := r.d.binding.Load()
	if b == nil {
		return
	}
	for _, rep := range rr.Reports {
		if rep.SSRC != b.ssrc {
			continue
		}
		r.d.peer.counters.fractionLost.Store(uint32(rep.FractionLost))
		var feedback *lossCounter
		if bwe := r.d.peer.bwe; bwe != nil {
			feedback = &bwe.loss
		}
		r.d.redLoss.observe(rep.FractionLost, rep.Jitter, feedback)
		if rep.LastSenderReport == 0 {
			continue
		}
		units := compactNTP(r.now()) - rep.LastSenderReport - rep.Delay
		sample := time.Duration(uint64(units) * uint64(time.Second) >> 16)
		if sample > rttMax {
			continue // negative after wrap-around: clocks or report are off
		}
		if r.rtt == 0 {
			r.rtt = max(sample, time.Millisecond)
		} else {
			r.rtt += (sample - r.rtt) / 8
		}
		r.d.peer.counters.rtt.Store(int64(r.rtt))
	}
}

// compactNTP is the middle 32 bits of the NTP timestamp of t, as in LSR.
func compactNTP(t time.Time) uint32 {
	const ntpEpochOffset = 2208988800 // 1900-01-01 to 1970-01-01 in seconds
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return uint32(secs<<16 | frac>>16)
}
