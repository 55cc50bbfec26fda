package signaling

import (
	"sync"
	"time"
)

// keepaliveSlots spreads a wheel's pings over its interval, so that
// thousands of kiosks are not pinged in the same instant.
const keepaliveSlots = 20

// keepalive pings every live connection once per interval from one
// goroutine, instead of a ticker per connection: most connections are idle
// kiosks, and each ticker would keep their writer goroutine alive. A ping
// only asks the connection's writer to send one; a peer that stops
// answering is found by the reader's deadline (pongWait).
type keepalive struct {
	interval time.Duration

	mu    sync.Mutex
	slots []map[*conn]struct{}
	next  int // the slot the next connection joins

	stop chan struct{}
	done chan struct{}
}

// newKeepalive starts a wheel; close stops it.
func newKeepalive(interval time.Duration) *keepalive {
	k := &keepalive{
		interval: interval,
		slots:    make([]map[*conn]struct{}, keepaliveSlots),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	for i := range k.slots {
		k.slots[i] = map[*conn]struct{}{}
	}
	go k.run()
	return k
}

// add puts c on the wheel; it is first pinged within one interval.
func (k *keepalive) add(c *conn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c.slot >= 0 {
		return
	}
	c.slot = k.next
	k.slots[c.slot][c] = struct{}{}
	k.next = (k.next + 1) % len(k.slots)
}

// remove takes c off the wheel.
func (k *keepalive) remove(c *conn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if c.slot >= 0 {
		delete(k.slots[c.slot], c)
		c.slot = -1
	}
}

func (k *keepalive) run() {
	defer close(k.done)
	ticker := time.NewTicker(k.interval / time.Duration(len(k.slots)))
	defer ticker.Stop()
	var due []*conn
	for slot := 0; ; slot = (slot + 1) % len(k.slots) {
		select {
		case <-ticker.C:
		case <-k.stop:
			return
		}
		due = k.due(slot, due[:0])
		for i, c := range due {
			c.measure()
			due[i] = nil
		}
	}
}

// due lists the connections of a slot into buf; they are pinged outside
// the lock, as connections leave the wheel from other goroutines.
func (k *keepalive) due(slot int, buf []*conn) []*conn {
	k.mu.Lock()
	defer k.mu.Unlock()
	for c := range k.slots[slot] {
		buf = append(buf, c)
	}
	return buf
}

// close stops the wheel and waits for its goroutine.
func (k *keepalive) close() {
	close(k.stop)
	<-k.done
}
