package media

import (
	"sync"
	"time"
)

const (
	// packetCacheSize is a power of two so that a sequence number maps to its slot
	// with a mask; 512 packets hold about two seconds of 2 Mbit/s video, longer than
	// the NACK round trip of a weak 4G link.
	packetCacheSize = 512
	// maxPacketSize bounds what is cached; bigger packets are forwarded but not kept.
	maxPacketSize = 1500
)

// clockEpoch anchors monoNow; time.Since reads the monotonic clock, so cached
// arrival times do not jump with the wall clock.
var clockEpoch = time.Now()

// monoNow is nanoseconds on the monotonic clock since clockEpoch; it is never 0 for
// a packet stored after start-up, so 0 can mean "never".
func monoNow() int64 { return int64(time.Since(clockEpoch)) + 1 }

// packetCache keeps the last packets of one published video track, as received, so
// that subscribers' NACKs are answered without asking the publisher again. Its lock
// is held for a copy only, never across a network write.
type packetCache struct {
	mu    sync.Mutex
	slots [packetCacheSize]cachedPacket
}

type cachedPacket struct {
	seq uint16
	n   int   // 0: empty
	at  int64 // arrival, monoNow; also tells two packets with the same seq apart
	buf [maxPacketSize]byte
}

// store keeps a copy of raw under its sequence number, evicting the packet that was
// packetCacheSize sequence numbers older.
func (c *packetCache) store(seq uint16, raw []byte) {
	if len(raw) > maxPacketSize {
		return
	}
	now := monoNow()
	c.mu.Lock()
	slot := &c.slots[seq&(packetCacheSize-1)]
	slot.seq = seq
	slot.at = now
	slot.n = copy(slot.buf[:], raw)
	c.mu.Unlock()
}

// get copies the packet with sequence number seq into dst and returns its length and
// arrival time (monoNow), or 0 when the packet is no longer (or was never) cached.
func (c *packetCache) get(seq uint16, dst []byte) (n int, at int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	slot := &c.slots[seq&(packetCacheSize-1)]
	if slot.n == 0 || slot.seq != seq {
		return 0, 0
	}
	return copy(dst, slot.buf[:slot.n]), slot.at
}
