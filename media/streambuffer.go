package media

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/pion/transport/v5/packetio"
)

// A publisher's decrypted RTP reaches the track's read loop through a buffer
// per SSRC that pion's SRTP session writes into from its own goroutine. With
// pion's buffer each packet wakes the read loop's goroutine: one of the
// hand-offs that cost the node more CPU per packet than the forwarding itself.
// streamBuffer queues like pion's until the read loop attaches; from then on
// each write runs the read loop's step on the writing goroutine, so a packet
// is decrypted, read through the interceptors and forwarded without waking
// another goroutine.

const (
	// rtpBufferSize and rtcpBufferSize are pion's own limits, which a full
	// buffer drops packets beyond.
	rtpBufferSize  = 1_000_000
	rtcpBufferSize = 100_000
	// attachAfter is the reads a read loop makes before it attaches: pion may
	// keep up to two packets apart from the buffer (the track's and the
	// stream's peeks), which a read must take first.
	attachAfter = 2
)

// streamBuffer is one SSRC's buffer of decrypted RTP.
type streamBuffer struct {
	*packetio.Buffer
	ssrc uint32
	reg  *streamBuffers

	// readInto is where the last read put its packet: a read loop knows its
	// buffer by its own slice.
	readInto atomic.Pointer[byte]

	mu   sync.Mutex  // serialises step
	step func() bool // reads one packet and forwards it, false once the track ended; nil until attached
	// ended is closed when the stream closes or step returns false.
	ended   chan struct{}
	endOnce sync.Once
}

// Read and Write are for readers and writers that do not pass attributes.
func (b *streamBuffer) Read(p []byte) (int, error) {
	n, _, err := b.ReadWithAttributes(p, nil)
	return n, err
}

func (b *streamBuffer) Write(p []byte) (int, error) { return b.WriteWithAttributes(p, nil) }

// ReadWithAttributes is what pion's SRTP stream reads through.
func (b *streamBuffer) ReadWithAttributes(p []byte, a packetio.Attributes) (int, packetio.Attributes, error) {
	if len(p) > 0 {
		b.readInto.Store(&p[0])
	}
	return b.Buffer.Read(p, a)
}

// WriteWithAttributes queues a packet and, once a read loop is attached,
// runs its step for it.
func (b *streamBuffer) WriteWithAttributes(p []byte, a packetio.Attributes) (int, error) {
	n, err := b.Buffer.Write(p, a)
	if err != nil {
		return n, err
	}
	b.mu.Lock()
	if b.step != nil && !b.step() {
		b.step = nil
		b.end()
	}
	b.mu.Unlock()
	return n, nil
}

// attach makes step run for every packet written from now on, if nothing is
// queued: a read loop that finds packets queued reads them first and tries
// again, so packets keep their order.
func (b *streamBuffer) attach(step func() bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Count() > 0 {
		return false
	}
	b.step = step
	return true
}

// wait returns when the stream has ended or stop is closed, with no step
// running or to come.
func (b *streamBuffer) wait(stop <-chan struct{}) {
	select {
	case <-b.ended:
	case <-stop:
	}
	b.mu.Lock()
	b.step = nil
	b.mu.Unlock()
}

// Close ends the stream. It does not wait for a running step: pion closes
// the stream holding a lock that the step's read takes.
func (b *streamBuffer) Close() error {
	b.reg.remove(b)
	err := b.Buffer.Close()
	b.end()
	return err
}

func (b *streamBuffer) end() { b.endOnce.Do(func() { close(b.ended) }) }

// streamBuffers makes the SFU's buffers (the setting engine's BufferFactory)
// and finds a track's. The factory is not told which PeerConnection a buffer
// is for, and two publishers may choose the same SSRC: a read loop finds its
// buffer as the one of its track's SSRC that its last read went through,
// into its own slice (pion's read path passes the caller's slice down).
type streamBuffers struct {
	mu     sync.Mutex
	bySSRC map[uint32][]*streamBuffer
}

func newStreamBuffers() *streamBuffers {
	return &streamBuffers{bySSRC: make(map[uint32][]*streamBuffer)}
}

// factory is the setting engine's BufferFactory.
func (r *streamBuffers) factory(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	buf := packetio.NewBuffer()
	if kind != packetio.RTPBufferPacket {
		buf.SetLimitSize(rtcpBufferSize)
		return &rtcpBuffer{buf}
	}
	buf.SetLimitSize(rtpBufferSize)
	b := &streamBuffer{Buffer: buf, ssrc: ssrc, reg: r, ended: make(chan struct{})}
	r.mu.Lock()
	r.bySSRC[ssrc] = append(r.bySSRC[ssrc], b)
	r.mu.Unlock()
	return b
}

// find returns the open buffer of ssrc whose last read went into buf, nil
// if there is none: a read path that copies on its way would not find one,
// and its track keeps pion's way of reading.
func (r *streamBuffers) find(ssrc uint32, buf []byte) *streamBuffer {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.bySSRC[ssrc] {
		if b.readInto.Load() == &buf[0] {
			return b
		}
	}
	return nil
}

func (r *streamBuffers) remove(b *streamBuffer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bs := r.bySSRC[b.ssrc]
	for i, x := range bs {
		if x == b {
			bs = append(bs[:i], bs[i+1:]...)
			break
		}
	}
	if len(bs) == 0 {
		delete(r.bySSRC, b.ssrc)
	} else {
		r.bySSRC[b.ssrc] = bs
	}
}

// rtcpBuffer is pion's buffer for a stream's RTCP, as pion makes it.
type rtcpBuffer struct{ *packetio.Buffer }

func (b *rtcpBuffer) Read(p []byte) (int, error) {
	n, _, err := b.Buffer.Read(p, nil)
	return n, err
}

func (b *rtcpBuffer) Write(p []byte) (int, error) { return b.Buffer.Write(p, nil) }

func (b *rtcpBuffer) ReadWithAttributes(p []byte, a packetio.Attributes) (int, packetio.Attributes, error) {
	return b.Buffer.Read(p, a)
}

func (b *rtcpBuffer) WriteWithAttributes(p []byte, a packetio.Attributes) (int, error) {
	return b.Buffer.Write(p, a)
}
