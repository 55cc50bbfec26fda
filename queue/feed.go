package queue

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
)

// feed takes the leader's event batches off the bus and makes this node's
// Listener calls, one at a time, in the order the leader published them.
// Like Local, the goroutine that makes a Queue call delivers the events it
// caused before the call returns, unless another goroutine is delivering,
// which then delivers them too; so a listener may call back into the queue.
// Events that no call of this node's is there to deliver (other nodes'
// calls, the leader's timers) go out from the feed's own goroutine.
type feed struct {
	listener  Listener
	log       *slog.Logger
	onNewTerm func() // told of a batch from a leader this node had not heard; must not block

	mu         sync.Mutex
	received   mark          // the last batch taken off the bus
	pending    []event       // received, not yet delivered
	delivering bool          // a goroutine is making Listener calls
	calls      int           // calls of this node's in flight; they deliver
	changed    chan struct{} // closed and replaced when received moves
	wake       chan struct{} // capacity 1: the dispatcher has events to deliver
}

func newFeed(l Listener, log *slog.Logger) *feed {
	return &feed{listener: l, log: log, changed: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// receive takes one batch off the bus. It never calls the listener, so the
// bus can go on receiving while a listener calls back into the queue.
func (f *feed) receive(msg []byte) {
	var b eventBatch
	if err := json.Unmarshal(msg, &b); err != nil {
		f.log.Error("dropping malformed queue events", "err", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.received.reached(b.mark()) {
		return // from a leader that has been replaced, or seen already
	}
	if b.Term == f.received.Term && b.Seq != f.received.Seq+1 {
		f.log.Warn("missed queue events", "term", b.Term, "from", f.received.Seq+1, "to", b.Seq-1)
	}
	if b.Term > f.received.Term && f.onNewTerm != nil {
		f.onNewTerm()
	}
	for i := range b.Events {
		if e, ok := b.Events[i].event(); ok {
			f.pending = append(f.pending, e)
		}
	}
	f.received = b.mark()
	close(f.changed)
	f.changed = make(chan struct{})
	if f.calls == 0 {
		f.wakeDispatcher()
	}
}

// wakeDispatcher asks the feed's goroutine to deliver; f.mu must be held.
func (f *feed) wakeDispatcher() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// beginCall tells the feed that a call of this node's is in flight: its
// caller will deliver what arrives meanwhile.
func (f *feed) beginCall() {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
}

// endCall hands what is left to the dispatcher once no call is in flight.
func (f *feed) endCall() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls--
	if f.calls == 0 && len(f.pending) > 0 {
		f.wakeDispatcher()
	}
}

// run delivers events that arrive outside any call of this node's, such as
// those caused by other nodes and by the leader's timers, until ctx ends.
func (f *feed) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
			f.deliver()
		}
	}
}

// catchUp waits until the batches up to end have been received, then
// delivers them. A call's own batches (after start) are sure to come, having
// been published after this node subscribed; earlier ones only if this node
// has already heard from that leader. ctx bounds the wait: events that come
// later are still delivered, just after the call returns.
func (f *feed) catchUp(ctx context.Context, start, end mark) {
	f.mu.Lock()
	wait := end.Seq > start.Seq || f.received.Term == end.Term
	for wait && !f.received.reached(end) {
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			f.log.Warn("queue events late", "want", end, "have", f.receivedMark())
			f.deliver()
			return
		}
		f.mu.Lock()
	}
	f.mu.Unlock()
	f.deliver()
}

func (f *feed) receivedMark() mark {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.received
}

// deliver makes the pending Listener calls unless another goroutine is
// already making them.
func (f *feed) deliver() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.delivering {
		return
	}
	f.delivering = true
	defer func() { f.delivering = false }() // also if a listener panics
	for len(f.pending) > 0 {
		batch := f.pending
		f.pending = nil
		f.callListener(batch)
	}
}

// callListener delivers a batch with the lock released; it returns, or
// panics, with the lock held again.
func (f *feed) callListener(batch []event) {
	f.mu.Unlock()
	defer f.mu.Lock()
	for i := range batch {
		batch[i].deliverTo(f.listener)
	}
}
