package media

import (
	"testing"
	"time"

	"github.com/pion/transport/v5/packetio"
)

// TestStreamBufferRunsTheReaderOnWrite: packets queue until a reader
// attaches, which it may only do with nothing queued; then each write runs
// the reader's step, in order, until the step says the track ended.
func TestStreamBufferRunsTheReaderOnWrite(t *testing.T) {
	reg := newStreamBuffers()
	b := reg.factory(packetio.RTPBufferPacket, 7).(*streamBuffer)
	if _, err := b.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 16)
	step := func() bool {
		n, err := b.Read(buf)
		if err != nil || buf[0] == 0 {
			return false
		}
		got = append(got, buf[:n]...)
		return true
	}
	if b.attach(step) {
		t.Fatal("attached with a packet queued")
	}
	if !step() || !b.attach(step) {
		t.Fatal("no attach once the queue was read")
	}
	if reg.find(7, buf) != b || reg.find(7, make([]byte, 16)) != nil || reg.find(8, buf) != nil {
		t.Error("find does not tell the buffer read into buf from others")
	}
	for _, p := range []byte{2, 3} {
		if _, err := b.Write([]byte{p}); err != nil {
			t.Fatal(err)
		}
	}
	if string(got) != "\x01\x02\x03" {
		t.Errorf("forwarded %v, want 1, 2, 3 as written", got)
	}
	_, _ = b.Write([]byte{0}) // the step reads the end of the track
	waited := make(chan struct{})
	go func() {
		b.wait(nil)
		close(waited)
	}()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("the read loop still waits after its step said the track ended")
	}
	if _, err := b.Write([]byte{4}); err != nil || len(got) != 3 {
		t.Errorf("a step ran after the track ended: %v (%v)", got, err)
	}
	_ = b.Close()
	if reg.find(7, buf) != nil {
		t.Error("a closed buffer is still found")
	}
}

// forwardedOnWrite counts the publishers' RTP streams whose packets are
// forwarded by the goroutine that decrypts them.
func (r *streamBuffers) forwardedOnWrite() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, bs := range r.bySSRC {
		for _, b := range bs {
			b.mu.Lock()
			if b.step != nil {
				n++
			}
			b.mu.Unlock()
		}
	}
	return n
}
