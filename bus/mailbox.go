package bus

import "sync"

// maxPending is how many messages a subscription may fall behind before new
// ones are dropped: a stuck subscriber must not take the process's memory.
const maxPending = 1 << 16

// mailbox queues one subscription's messages, so that a publisher never waits
// for a slow subscriber while the subscriber still gets them in order.
type mailbox struct {
	mu       sync.Mutex
	msgs     [][]byte
	dropping bool          // over maxPending; logged once per episode
	wake     chan struct{} // capacity 1: messages are waiting
}

func newMailbox() *mailbox { return &mailbox{wake: make(chan struct{}, 1)} }

// put queues msg; it reports false if the mailbox is full and just started
// dropping, so the caller can log that once.
func (m *mailbox) put(msg []byte) (ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) >= maxPending {
		first := !m.dropping
		m.dropping = true
		return !first
	}
	m.msgs = append(m.msgs, msg)
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return true
}

// take returns every queued message, oldest first.
func (m *mailbox) take() [][]byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs := m.msgs
	m.msgs = nil
	m.dropping = false
	return msgs
}
