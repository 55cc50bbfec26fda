package media

import (
	"sync/atomic"

	"github.com/pion/rtcp"
)

// lossCounter counts the packets a subscriber's transport-wide feedback reports
// as received and as lost. The estimator's own loss figure is smoothed and
// drives its estimate; the video gate needs the plain share of packets lost
// over its own window, to tell a link that loses most of what it is sent
// (pause video) from one that loses a few packets in bursts (cap, keep video).
// Audio redundancy needs to know how bursty the loss is: lostAfterLost counts
// the lost packets that came right after a lost one. It also needs the loss of
// audio packets apart: a queue that video fills drops large video packets
// more often than small audio ones, and redundancy sent for the video's
// losses would only fill it further.
type lossCounter struct {
	received, lost, lostAfterLost atomic.Uint64
	audioReceived, audioLost      atomic.Uint64
	prevLost                      atomic.Bool // the last status counted
	kinds                         seqKinds
}

// seqKinds tells, for the last 4,096 transport-wide sequence numbers sent,
// which were audio. Written by the forwarding loops as packets go out (one
// bit each, atomically), read as their feedback comes.
type seqKinds [4096 / 64]atomic.Uint64

// mark notes whether the packet sent with transport-wide number seq is audio.
func (k *seqKinds) mark(seq uint16, audio bool) {
	i, bit := seq%4096/64, uint64(1)<<(seq%64)
	if audio {
		k[i].Or(bit)
	} else {
		k[i].And(^bit)
	}
}

// audio counts the audio packets among n numbers from seq on.
func (k *seqKinds) audio(seq uint16, n int) uint64 {
	var count uint64
	for j := range n {
		s := seq + uint16(j)
		count += k[s%4096/64].Load() >> (s % 64) & 1
	}
	return count
}

// add counts the packet statuses of the feedback in pkts.
func (c *lossCounter) add(pkts []rtcp.Packet) {
	for _, p := range pkts {
		if cc, ok := p.(*rtcp.TransportLayerCC); ok {
			c.countStatuses(cc)
		}
	}
}

// countStatuses counts one feedback's received and lost packets, up to its
// PacketStatusCount (the last chunk may be padded).
func (c *lossCounter) countStatuses(cc *rtcp.TransportLayerCC) {
	left := int(cc.PacketStatusCount)
	seq := cc.BaseSequenceNumber
	var received, lost, after, audioReceived, audioLost uint64
	prevLost := c.prevLost.Load()
	count := func(symbol uint16, n int) {
		n = min(n, left)
		if n <= 0 {
			return
		}
		left -= n
		audio := c.kinds.audio(seq, n)
		seq += uint16(n)
		if symbol != rtcp.TypeTCCPacketNotReceived {
			received += uint64(n)
			audioReceived += audio
			prevLost = false
			return
		}
		lost += uint64(n)
		audioLost += audio
		after += uint64(n - 1)
		if prevLost {
			after++
		}
		prevLost = true
	}
	for _, chunk := range cc.PacketChunks {
		switch ch := chunk.(type) {
		case *rtcp.RunLengthChunk:
			count(ch.PacketStatusSymbol, int(ch.RunLength))
		case *rtcp.StatusVectorChunk:
			for _, s := range ch.SymbolList {
				count(s, 1)
			}
		}
	}
	c.prevLost.Store(prevLost)
	c.received.Add(received)
	c.lost.Add(lost)
	c.lostAfterLost.Add(after)
	c.audioReceived.Add(audioReceived)
	c.audioLost.Add(audioLost)
}

// lossWindow turns a lossCounter's running totals into the share lost since
// the last call. It belongs to the room's adaptation loop.
type lossWindow struct {
	received, lost uint64
}

// next returns the fraction of packets lost since the previous call, and
// false if no feedback came in between (nothing is known then).
func (w *lossWindow) next(c *lossCounter) (float64, bool) {
	return w.of(c.received.Load(), c.lost.Load())
}

// of is next for the running totals rcv and lost of some of the packets.
func (w *lossWindow) of(rcv, lost uint64) (float64, bool) {
	dr, dl := rcv-w.received, lost-w.lost
	w.received, w.lost = rcv, lost
	if dr+dl == 0 {
		return 0, false
	}
	return float64(dl) / float64(dr+dl), true
}
