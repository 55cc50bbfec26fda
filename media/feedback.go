package media

import (
	"sync"
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
//
// A number is counted once, when a later feedback starts past it (one
// feedback interval, 50–100 ms, after its own feedback came): Chromium
// reports a packet that arrives after a feedback that called it lost again,
// with all that followed it, in its next feedback. Counted as each feedback
// said, a packet only reordered on the way was counted lost, and the packets
// after it twice.
//
// A packet sent again under the same RTP sequence number (a resend) does not
// count: a receiver that has the packet already decrypts the copy as a replay
// and drops it unseen, and its feedback reports it lost. A busy machine's
// browser kept asking for packets it had been sent hundreds of milliseconds
// before, and every resend counted as lost: 2–6 % of a loopback link's
// packets while the far end's uplink was thin, enough to find the link thin.
type lossCounter struct {
	received, lost, lostAfterLost atomic.Uint64
	audioReceived, audioLost      atomic.Uint64
	states                        seqStates

	mu        sync.Mutex // for what follows; held while a feedback is counted
	started   bool
	settledTo uint16 // the statuses of the numbers before it are counted
	prevLost  bool   // the last status counted
}

// seqStates holds, for the last 4,096 transport-wide sequence numbers sent,
// four bits each: what went out under the number (audio or not, a resend or
// not) and what the feedback has said of it so far (nothing, received, lost).
// Set by the forwarding loops as packets go out, the report by the feedback
// as it comes, atomically.
type seqStates [4096 / 16]atomic.Uint64

const (
	stateAudio    = 1 << 0
	stateResend   = 1 << 1
	stateReceived = 1 << 2
	stateLost     = 1 << 3
	stateReport   = stateReceived | stateLost
)

func stateSlot(seq uint16) (int, uint) { return int(seq % 4096 / 16), uint(seq%16) * 4 }

func (s *seqStates) get(seq uint16) uint64 {
	i, shift := stateSlot(seq)
	return s[i].Load() >> shift & 0xf
}

// start sets a number's state as its packet goes out, with no report yet.
func (s *seqStates) start(seq uint16, state uint64) {
	i, shift := stateSlot(seq)
	s[i].And(^(uint64(0xf) << shift))
	s[i].Or(state << shift)
}

// note records one status: received overrides lost (the packet came late),
// lost overrides nothing.
func (s *seqStates) note(seq uint16, received bool) {
	i, shift := stateSlot(seq)
	switch was := s.get(seq) & stateReport; {
	case received && was != stateReceived:
		s[i].And(^(uint64(stateLost) << shift))
		s[i].Or(uint64(stateReceived) << shift)
	case !received && was == 0:
		s[i].Or(uint64(stateLost) << shift)
	}
}

// sentSeqs remembers which of the last 512 RTP sequence numbers of one
// stream went out, to tell a packet sent again under its number (a resend)
// from its first sending, a hole's late packet included. Written by the
// stream's forwarding loop and its resender, atomically.
type sentSeqs [1024 / 64]atomic.Uint64

// again notes seq as sent and tells whether it was already. It forgets the
// number 512 ahead, so that the window moves along with the stream; a number
// skipped over is not forgotten, and its first sending 512 numbers later is
// left out of the loss like a resend, not counted wrong.
func (s *sentSeqs) again(seq uint16) bool {
	i, bit := seq%1024/64, uint64(1)<<(seq%64)
	if s[i].Or(bit)&bit != 0 {
		return true
	}
	ahead := seq + 512
	s[ahead%1024/64].And(^(uint64(1) << (ahead % 64)))
	return false
}

// sent notes a packet going out with transport-wide number seq: audio or
// not, a resend or not.
func (c *lossCounter) sent(seq uint16, audio, resend bool) {
	var state uint64
	if audio {
		state |= stateAudio
	}
	if resend {
		state |= stateResend
	}
	c.states.start(seq, state)
}

// add counts the packet statuses of the feedback in pkts.
func (c *lossCounter) add(pkts []rtcp.Packet) {
	for _, p := range pkts {
		if cc, ok := p.(*rtcp.TransportLayerCC); ok {
			c.countStatuses(cc)
		}
	}
}

// countStatuses counts what came before this feedback's first number, now
// settled, and notes this feedback's statuses, up to its PacketStatusCount
// (the last chunk may be padded).
func (c *lossCounter) countStatuses(cc *rtcp.TransportLayerCC) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq := cc.BaseSequenceNumber
	if !c.started {
		c.started, c.settledTo = true, seq
	}
	c.settle(seq)
	left := int(cc.PacketStatusCount)
	note := func(symbol uint16, n int) {
		n = min(n, left)
		left -= n
		for range n {
			if int16(seq-c.settledTo) >= 0 {
				c.states.note(seq, symbol != rtcp.TypeTCCPacketNotReceived)
			}
			seq++
		}
	}
	for _, chunk := range cc.PacketChunks {
		switch ch := chunk.(type) {
		case *rtcp.RunLengthChunk:
			note(ch.PacketStatusSymbol, int(ch.RunLength))
		case *rtcp.StatusVectorChunk:
			for _, s := range ch.SymbolList {
				note(s, 1)
			}
		}
	}
}

// settle counts the statuses of the numbers from settledTo up to to, which no
// feedback will report again; a feedback that goes back settles nothing.
func (c *lossCounter) settle(to uint16) {
	window := len(c.states) * 16
	n := int(int16(to - c.settledTo))
	switch {
	case n < -window: // not a re-report but a jump half the numbers ahead: start over there
		c.settledTo = to
		return
	case n <= 0:
		return
	}
	n = min(n, window)
	var received, lost, after, audioReceived, audioLost uint64
	for s := to - uint16(n); s != to; s++ {
		state := c.states.get(s)
		if state&stateResend != 0 {
			continue
		}
		audio := state & stateAudio
		switch state & stateReport {
		case stateReceived:
			received++
			audioReceived += audio
			c.prevLost = false
		case stateLost:
			lost++
			audioLost += audio
			if c.prevLost {
				after++
			}
			c.prevLost = true
		}
	}
	c.settledTo = to
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
