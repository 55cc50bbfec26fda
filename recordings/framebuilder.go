package recordings

import (
	"math/bits"
	"time"

	"github.com/pion/rtp"
)

// frameBuilder turns a track's RTP packets into frames. It follows pion's
// samplebuilder (github.com/pion/webrtc/v4/pkg/media/samplebuilder, MIT)
// step for step, with the frames it produces unchanged, but keeps the
// packets waiting in a ring a few times maxLate long instead of two arrays
// indexed by the whole 16-bit sequence space (1 MB per track, which was most
// of a recorded call's memory and of the collector's work), and joins a
// frame with one allocation. TestFrameBuilderMatchesPion holds them equal.
type frameBuilder struct {
	maxLate   uint16
	maxLateTS uint32 // max RTP-time span waiting; 0: no limit
	rate      uint32
	depack    rtp.Depacketizer
	release   func(*rtp.Packet)

	ring []*rtp.Packet // by sequence number & mask
	mask uint16

	filled   seqRange // the packets held
	active   seqRange // the packets not yet made into frames
	prepared []frame  // built, waiting for pop
	next     int      // prepared[next] is popped next

	dropped uint16 // packets dropped since the last frame
	padding uint16 // of those, padding only (see build)
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

func (b *frameBuilder) releasePacket(i uint16) {
	p := b.ring[i&b.mask]
	b.ring[i&b.mask] = nil
	if p != nil {
		b.release(p)
	}
}

// push adds a packet; the builder keeps it until released.
func (b *frameBuilder) push(p *rtp.Packet) {
	seq := p.SequenceNumber
	if !b.fits(seq) {
		if b.filled.compare(seq) == seqBefore {
			// Older than anything the ring can hold: pion drops it too,
			// after walking its window back and forth.
			b.release(p)
			return
		}
		b.jump(p)
	}
	if old := b.at(seq); old != nil && old != p {
		b.release(old) // a duplicate
	}
	b.ring[seq&b.mask] = p
	switch b.filled.compare(seq) {
	case seqVoid:
		b.filled = seqRange{head: seq, tail: seq + 1}
	case seqBefore:
		b.filled.head = seq
	case seqAfter:
		b.filled.tail = seq + 1
	}
	b.purge(false)
}

// jump makes frames of everything held before p, whose sequence number is
// past the ring (a long outage): nothing held can be completed any more.
// The result is pion's, which walks its window over the gap: the last frame
// lasts until p, and the sequence numbers skipped count as dropped.
func (b *frameBuilder) jump(p *rtp.Packet) {
	b.hint, b.hinted = p.Timestamp, true
	end := b.filled.tail
	b.purge(true)
	b.hinted = false
	b.dropped += p.SequenceNumber - end
}

// fits reports whether the held window, with seq in it, stays within the
// ring.
func (b *frameBuilder) fits(seq uint16) bool {
	size := uint16(len(b.ring) - 1)
	switch b.filled.compare(seq) {
	case seqBefore:
		return b.filled.tail-seq <= size
	case seqAfter:
		return seq+1-b.filled.head <= size
	}
	return true
}

// flush makes frames of everything held, for the end of the track.
func (b *frameBuilder) flush() { b.purge(true) }

// pop returns the next complete frame, false if there is none yet.
func (b *frameBuilder) pop() (frame, bool) {
	b.build(false)
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
func (b *frameBuilder) tooOld(r seqRange) bool {
	if b.maxLateTS == 0 {
		return false
	}
	var head, tail *rtp.Packet
	for i := r.head; i != r.tail; i++ {
		if head = b.at(i); head != nil {
			break
		}
	}
	if head == nil {
		return false
	}
	for i := r.tail - 1; i != r.head; i-- {
		if tail = b.at(i); tail != nil {
			break
		}
	}
	if tail == nil {
		return false
	}
	return tsDistance(head.Timestamp, tail.Timestamp) > b.maxLateTS
}

func (b *frameBuilder) headTS(r seqRange) (uint32, bool) {
	if r.empty() {
		return 0, false
	}
	p := b.at(r.head)
	if p == nil {
		return 0, false
	}
	return p.Timestamp, true
}

// purgeConsumed releases the oldest held packet if it is already in a frame
// (or, with force, if it is in consume).
func (b *frameBuilder) purgeConsumed(consume seqRange, force bool) {
	if b.filled.empty() {
		return
	}
	switch consume.compare(b.filled.head) {
	case seqInside:
		if !force {
			return
		}
		fallthrough
	case seqBefore:
		b.releasePacket(b.filled.head)
		b.filled.head++
	}
}

// purge releases what is consumed, and while too much is held (or when
// flushing) forces the oldest frame out, complete or not.
func (b *frameBuilder) purge(flush bool) {
	b.purgeConsumed(b.active, false)
	for (flush || b.filled.count() > b.maxLate || b.tooOld(b.filled)) && !b.filled.empty() {
		if b.active.empty() {
			b.active = b.filled
		}
		if !b.active.empty() && b.active.head == b.filled.head {
			if b.build(true) {
				continue
			}
			b.active.head++
			b.dropped++
		}
		b.releasePacket(b.filled.head)
		b.filled.head++
	}
}

// frameEnd finds the packets of the oldest frame: up to a partition tail,
// or up to a packet of another timestamp. A run of padding ends where the
// next frame starts, even a frame of one packet, which pion's samplebuilder
// would take into the run and drop with it.
func (b *frameBuilder) frameEnd() seqRange {
	var consume seqRange
	headTS, hasHead := b.headTS(b.active)
	padding := hasHead && b.isPadding(b.at(b.active.head))
	for i := b.active.head; b.at(i) != nil && b.active.compare(i) != seqAfter; i++ {
		p := b.at(i)
		if padding && p.Timestamp != headTS {
			return seqRange{head: b.active.head, tail: i}
		}
		if b.depack.IsPartitionTail(p.Marker, p.Payload) {
			return seqRange{head: b.active.head, tail: i + 1}
		}
		if hasHead && p.Timestamp != headTS {
			return seqRange{head: b.active.head, tail: i}
		}
	}
	return consume
}

// build makes the oldest frame if it is complete (or, when purging, as far
// as it goes) and reports whether it did.
func (b *frameBuilder) build(purging bool) bool {
	if b.active.empty() {
		b.active = b.filled
	}
	if b.active.empty() {
		return false
	}
	if b.filled.compare(b.active.tail) == seqInside {
		b.active.tail = b.filled.tail
	}
	consume := b.frameEnd()
	if consume.empty() {
		return false
	}
	if !purging && b.at(consume.tail) == nil {
		return false // wait for the next frame's first packet: it gives the duration
	}
	ts, _ := b.headTS(b.active)
	after := b.nextTS(consume.tail, ts)
	b.active.head = consume.tail
	if !b.depack.IsPartitionHead(b.at(consume.head).Payload) {
		b.dropped += consume.count()
		if b.isPadding(b.at(consume.head)) {
			b.padding += consume.count()
		}
		b.purgeConsumed(consume, true)
		b.purgeConsumed(b.active, false)
		return false
	}
	data, ok := b.join(consume)
	if !ok {
		return false
	}
	b.prepared = append(b.prepared, frame{
		data: data, ts: ts, dropped: b.dropped, padding: b.padding,
		dur: time.Duration(float64(after-ts) / float64(b.rate) * float64(time.Second)),
	})
	b.dropped, b.padding = 0, 0
	b.lastTS, b.built = ts, true
	b.purgeConsumed(consume, true)
	b.purgeConsumed(b.active, false)
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
	for ; b.active.compare(i) == seqInside; i++ {
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
