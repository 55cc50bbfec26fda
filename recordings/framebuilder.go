package recordings

import (
	"math/bits"
	"time"

	"github.com/pion/rtp"
)

// frameBuilder turns a track's RTP packets into frames, as pion's
// samplebuilder (github.com/pion/webrtc/v4/pkg/media/samplebuilder, MIT)
// does, with three differences that a weak uplink shows:
//   - a frame forced out incomplete costs only its own packets (pion drops
//     the first packet of the frame after it too);
//   - padding lost on the way counts as padding, not as a lost frame, when
//     the sender's next packet is padding of the same frame (see lostPadding);
//   - a packet older than those still waiting is late and dropped, so a
//     resend that comes twice never makes a frame twice.
//
// It keeps the packets waiting in a ring a few times maxLate long instead of
// two arrays indexed by the whole 16-bit sequence space (1 MB per track,
// which was most of a recorded call's memory and of the collector's work),
// and joins a frame with one allocation. TestFrameBuilderMatchesPion holds
// its frames to pion's.
type frameBuilder struct {
	maxLate   uint16
	maxLateTS uint32 // max RTP-time span waiting; 0: no limit
	rate      uint32
	depack    rtp.Depacketizer
	layerOf   func(payload []byte) temporalLayer // nil: frames name no layer
	release   func(*rtp.Packet)

	ring []*rtp.Packet // by sequence number & mask
	mask uint16

	// held runs from the oldest packet not yet made into a frame to the
	// newest packet held. Once started, its head stays where the last frame
	// ended even when nothing is held, so a packet after a gap leaves the gap
	// in it and the gap counts as lost.
	held     seqRange
	started  bool
	prepared []frame // built, waiting for pop
	next     int     // prepared[next] is popped next

	dropped uint16 // packets dropped since the last frame
	padding uint16 // of those, padding only (see isPadding)
	lastTS  uint32 // timestamp of the last frame built
	built   bool   // a frame was built
	hint    uint32 // while hinted, the timestamp of the packet after those held
	hinted  bool
	spare   [][]byte // frame buffers given back by recycle
}

// frame is one complete media frame.
type frame struct {
	data    []byte
	ts      uint32 // RTP timestamp
	dur     time.Duration
	dropped uint16 // packets lost or dropped since the previous frame
	padding uint16 // of those, padding only: none was lost
	layer   temporalLayer
}

// newFrameBuilder holds up to maxLate packets waiting for a missing one, and
// at most maxLate of RTP time (0: no limit). release gets every packet
// back once it is no longer needed.
func newFrameBuilder(maxLate uint16, depack rtp.Depacketizer, rate uint32, maxDelay time.Duration, release func(*rtp.Packet)) *frameBuilder {
	size := 1 << bits.Len(uint(maxLate)*4-1) // room for the window and a jump
	size = min(size, 1<<15)
	if release == nil {
		release = func(*rtp.Packet) {}
	}
	return &frameBuilder{
		maxLate:   maxLate,
		maxLateTS: uint32(int64(rate) * maxDelay.Milliseconds() / 1000),
		rate:      rate,
		depack:    depack,
		release:   release,
		ring:      make([]*rtp.Packet, size),
		mask:      uint16(size - 1),
	}
}

func (b *frameBuilder) at(i uint16) *rtp.Packet { return b.ring[i&b.mask] }

// push adds a packet; the builder keeps it until released.
func (b *frameBuilder) push(p *rtp.Packet) {
	seq := p.SequenceNumber
	if b.late(seq) {
		b.release(p)
		return
	}
	if !b.fits(seq) {
		b.jump(p)
	}
	if old := b.at(seq); old != nil && old != p {
		b.release(old) // a duplicate
	}
	b.ring[seq&b.mask] = p
	switch {
	case !b.started && b.held.empty():
		b.held = seqRange{head: seq, tail: seq + 1}
	case b.held.compare(seq) == seqBefore && !b.started:
		b.held.head = seq
	case b.held.compare(seq) != seqInside:
		b.held.tail = seq + 1
	}
	b.purge(false)
}

// late reports whether seq comes before the packets still waiting: its frame
// was made or given up, or it is older than anything the ring can hold.
func (b *frameBuilder) late(seq uint16) bool {
	if b.started {
		return int16(seq-b.held.head) < 0
	}
	return b.held.compare(seq) == seqBefore && b.held.tail-seq > uint16(len(b.ring)-1)
}

// fits reports whether the held window, with seq in it, stays within the
// ring.
func (b *frameBuilder) fits(seq uint16) bool {
	if b.held.empty() && !b.started || b.held.compare(seq) == seqBefore {
		return true // late turned away what the ring cannot hold
	}
	return seq+1-b.held.head <= uint16(len(b.ring)-1)
}

// jump makes frames of everything held before p, whose sequence number is
// past the ring (a long outage): nothing held can be completed any more.
// The last frame lasts until p, and the sequence numbers skipped count as
// dropped.
func (b *frameBuilder) jump(p *rtp.Packet) {
	b.hint, b.hinted = p.Timestamp, true
	b.purge(true)
	b.hinted = false
	b.dropped += p.SequenceNumber - b.held.head
	b.held = seqRange{head: p.SequenceNumber, tail: p.SequenceNumber}
}

// flush makes frames of everything held, for the end of the track.
func (b *frameBuilder) flush() { b.purge(true) }

// pop returns the next complete frame, false if there is none yet.
func (b *frameBuilder) pop() (frame, bool) {
	for b.next == len(b.prepared) && b.build(false) {
		// A frame given up (its start lost, or padding) makes none: on.
	}
	if b.next == len(b.prepared) {
		return frame{}, false
	}
	f := b.prepared[b.next]
	b.prepared[b.next] = frame{}
	b.next++
	if b.next == len(b.prepared) {
		b.prepared, b.next = b.prepared[:0], 0
	}
	return f, true
}

// tooOld reports whether the held packets span more than maxLateTS.
func (b *frameBuilder) tooOld() bool {
	if b.maxLateTS == 0 {
		return false
	}
	var head, tail *rtp.Packet
	for i := b.held.head; i != b.held.tail && head == nil; i++ {
		head = b.at(i)
	}
	for i := b.held.tail - 1; i != b.held.head-1 && tail == nil; i-- {
		tail = b.at(i)
	}
	return head != nil && tail != nil && tsDistance(head.Timestamp, tail.Timestamp) > b.maxLateTS
}

// purge, while too much is held (or when flushing), forces the oldest frame
// out, complete or not.
func (b *frameBuilder) purge(flush bool) {
	for (flush || b.held.count() > b.maxLate || b.tooOld()) && !b.held.empty() {
		if !b.build(true) {
			b.skipHead()
		}
	}
}

// skipHead gives up the oldest packet held, which starts no frame that can
// be made.
func (b *frameBuilder) skipHead() {
	b.dropped++
	if b.lostPadding(b.held.head) {
		b.padding++
	}
	b.consume(b.held.head + 1)
}

// maxPaddingGap bounds how far lostPadding looks: a browser's probes come in
// runs of a few packets.
const maxPaddingGap = 16

// lostPadding reports whether the packet at i is padding, or was: missing,
// with padding of the last frame's timestamp the next packet held. The
// sender sent it after that frame's end (a later frame's packet would have
// moved the padding's timestamp on), and a sender without RTX never resends
// padding, so taking it for a lost frame would ask for a keyframe over
// nothing.
func (b *frameBuilder) lostPadding(i uint16) bool {
	for n := 0; n < maxPaddingGap && b.held.compare(i) == seqInside; n++ {
		if p := b.at(i); p != nil {
			return b.isPadding(p)
		}
		i++
	}
	return false
}

// consume releases the held packets before end: made into a frame or given
// up.
func (b *frameBuilder) consume(end uint16) {
	for ; b.held.head != end; b.held.head++ {
		p := b.at(b.held.head)
		b.ring[b.held.head&b.mask] = nil
		if p != nil {
			b.release(p)
		}
	}
	b.started = true
}

// frameEnd finds the packets of the oldest frame: up to a partition tail,
// or up to a packet of another timestamp. A run of padding ends where the
// next frame starts, even a frame of one packet, which pion's samplebuilder
// would take into the run and drop with it.
func (b *frameBuilder) frameEnd() seqRange {
	head := b.at(b.held.head)
	if head == nil {
		return seqRange{}
	}
	padding := b.isPadding(head)
	for i := b.held.head; b.at(i) != nil && b.held.compare(i) == seqInside; i++ {
		p := b.at(i)
		if p.Timestamp != head.Timestamp {
			return seqRange{head: b.held.head, tail: i}
		}
		if !padding && b.depack.IsPartitionTail(p.Marker, p.Payload) {
			return seqRange{head: b.held.head, tail: i + 1}
		}
	}
	return seqRange{}
}

// build makes the oldest frame, or gives it up if it cannot be decoded (its
// start was lost, or it is padding), and reports whether it did either. A
// frame is made once its next packet is held, which gives its duration, or
// at once when purging.
func (b *frameBuilder) build(purging bool) bool {
	consume := b.frameEnd()
	if consume.empty() || !purging && b.at(consume.tail) == nil {
		return false
	}
	head := b.at(consume.head)
	ts, n := head.Timestamp, consume.count()
	after := b.nextTS(consume.tail, ts)
	var data []byte
	ok := b.depack.IsPartitionHead(head.Payload)
	if ok {
		data, ok = b.join(consume)
	}
	if !ok {
		b.dropped += n
		if b.isPadding(head) {
			b.padding += n
		}
		b.consume(consume.tail)
		return true
	}
	f := frame{
		data: data, ts: ts, dropped: b.dropped, padding: b.padding,
		dur: time.Duration(float64(after-ts) / float64(b.rate) * float64(time.Second)),
	}
	if b.layerOf != nil {
		f.layer = b.layerOf(head.Payload)
	}
	b.prepared = append(b.prepared, f)
	b.dropped, b.padding = 0, 0
	b.lastTS, b.built = ts, true
	b.consume(consume.tail)
	return true
}

// isPadding reports whether p is padding: a packet without payload that
// carries the last frame's timestamp, which a sender without RTX sends after a
// frame's last packet to probe its link. Runs of it count as dropped, as in
// pion's samplebuilder, but nothing was lost.
func (b *frameBuilder) isPadding(p *rtp.Packet) bool {
	return b.built && p.Timestamp == b.lastTS && len(p.Payload) == 0
}

// nextTS is the timestamp of the first packet held from i on, which ends
// the frame before it; def if there is none.
func (b *frameBuilder) nextTS(i uint16, def uint32) uint32 {
	for ; b.held.compare(i) == seqInside; i++ {
		if p := b.at(i); p != nil {
			return p.Timestamp
		}
	}
	if b.hinted {
		return b.hint
	}
	return def
}

// join depacketizes a frame's packets into one buffer, reused from an
// earlier frame of the track when one was given back.
func (b *frameBuilder) join(r seqRange) ([]byte, bool) {
	data := b.buffer()
	for i := r.head; i != r.tail; i++ {
		payload, err := b.depack.Unmarshal(b.at(i).Payload)
		if err != nil {
			b.recycle(data)
			return nil, false
		}
		data = append(data, payload...)
	}
	return data, true
}

const (
	// maxSpareFrames bounds the buffers a track keeps for its next frames:
	// about the frames the interleaving window holds.
	maxSpareFrames = 16
	// maxSpareFrame is the largest buffer kept: keyframes are left to the
	// garbage collector, or every spare would grow to a keyframe's size.
	maxSpareFrame = 16 << 10
)

// buffer is an empty buffer for the next frame.
func (b *frameBuilder) buffer() []byte {
	n := len(b.spare)
	if n == 0 {
		return nil
	}
	data := b.spare[n-1]
	b.spare[n-1] = nil
	b.spare = b.spare[:n-1]
	return data[:0]
}

// recycle takes back a frame's buffer once nothing refers to it: a fresh
// buffer for every frame was most of the recorder's garbage.
func (b *frameBuilder) recycle(data []byte) {
	if cap(data) == 0 || cap(data) > maxSpareFrame || len(b.spare) == maxSpareFrames {
		return
	}
	b.spare = append(b.spare, data)
}

// seqRange is a run of sequence numbers, head included, tail not.
type seqRange struct{ head, tail uint16 }

const (
	seqVoid = iota
	seqBefore
	seqInside
	seqAfter
)

func (r seqRange) empty() bool { return r.head == r.tail }

func (r seqRange) count() uint16 { return seqDistance(r.head, r.tail) }

func (r seqRange) compare(pos uint16) int {
	if r.head == r.tail {
		return seqVoid
	}
	if r.head < r.tail {
		if r.head <= pos && pos < r.tail {
			return seqInside
		}
	} else if r.head <= pos || pos < r.tail {
		return seqInside
	}
	if r.head-pos <= pos-r.tail {
		return seqBefore
	}
	return seqAfter
}

func seqDistance(x, y uint16) uint16 {
	d := int16(x - y)
	if d < 0 {
		return uint16(-d)
	}
	return uint16(d)
}

func tsDistance(x, y uint32) uint32 {
	d := int32(x - y)
	if d < 0 {
		return uint32(-d)
	}
	return uint32(d)
}
