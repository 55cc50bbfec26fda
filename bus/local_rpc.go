package bus

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// localRequest is a request waiting for, or being served by, a handler.
type localRequest struct {
	msg      []byte
	deadline time.Time
	reply    chan localReply // capacity 1
}

type localReply struct {
	msg []byte
	err error
}

// requestQueue holds a topic's requests until a handler takes them.
type requestQueue struct {
	waiting []*localRequest
	wake    chan struct{} // capacity 1, shared by the topic's handlers
}

// localHandler serves one topic's requests on its own goroutine.
type localHandler struct {
	topic  string
	fn     func(ctx context.Context, msg []byte) ([]byte, error)
	queue  *requestQueue
	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	done   chan struct{}
}

// Request hands msg to one handler of topic and waits for the answer.
func (b *Local) Request(ctx context.Context, topic string, msg []byte) ([]byte, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	deadline, _ := ctx.Deadline()
	r := &localRequest{msg: bytes.Clone(msg), deadline: deadline, reply: make(chan localReply, 1)}
	if err := b.push(topic, r); err != nil {
		return nil, err
	}
	select {
	case rep := <-r.reply:
		return rep.msg, rep.err
	case <-ctx.Done():
		return nil, b.abandon(topic, r, ctx.Err())
	case <-b.done:
		return nil, fmt.Errorf("bus request %s: %w", topic, ErrClosed)
	}
}

func (b *Local) push(topic string, r *localRequest) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("bus request %s: %w", topic, ErrClosed)
	}
	q := b.queue(topic)
	q.waiting = append(q.waiting, r)
	signal(q.wake)
	return nil
}

// abandon takes back a request whose caller gives up, telling whether a
// handler had taken it.
func (b *Local) abandon(topic string, r *localRequest, cause error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[topic]
	if q != nil {
		if i := slices.Index(q.waiting, r); i >= 0 {
			q.waiting = slices.Delete(q.waiting, i, i+1)
			return fmt.Errorf("bus request %s: %w: %w", topic, ErrNoHandler, cause)
		}
	}
	return fmt.Errorf("bus request %s: no reply: %w", topic, cause)
}

// queue returns topic's request queue, creating it; b.mu must be held.
func (b *Local) queue(topic string) *requestQueue {
	q, ok := b.queues[topic]
	if !ok {
		q = &requestQueue{wake: make(chan struct{}, 1)}
		b.queues[topic] = q
	}
	return q
}

// Handle serves topic's requests with fn until stop is called.
func (b *Local) Handle(topic string, fn func(ctx context.Context, msg []byte) ([]byte, error)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	h := &localHandler{topic: topic, fn: fn, ctx: ctx, cancel: cancel, done: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		cancel()
		return func() {}
	}
	h.queue = b.queue(topic)
	b.handlers[h] = struct{}{}
	go h.run(b)
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.handlers, h)
			b.mu.Unlock()
			h.close()
		})
	}
}

func (h *localHandler) close() {
	h.cancel()
	<-h.done
}

func (h *localHandler) run(b *Local) {
	defer close(h.done)
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.queue.wake:
		}
		if h.ctx.Err() != nil {
			signal(h.queue.wake) // leave the request to another handler
			return
		}
		if r := b.take(h.queue); r != nil {
			h.serve(r)
		}
	}
}

// take pops the oldest request, waking another handler if more wait.
func (b *Local) take(q *requestQueue) *localRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(q.waiting) == 0 {
		return nil
	}
	r := q.waiting[0]
	q.waiting = slices.Delete(q.waiting, 0, 1)
	if len(q.waiting) > 0 {
		signal(q.wake)
	}
	return r
}

func (h *localHandler) serve(r *localRequest) {
	if !time.Now().Before(r.deadline) {
		return // the caller has given up
	}
	ctx, cancel := context.WithDeadline(h.ctx, r.deadline)
	defer cancel()
	msg, err := h.fn(ctx, r.msg)
	if err != nil {
		// Flattened to text, as it would be between processes.
		r.reply <- localReply{err: fmt.Errorf("bus request %s: %w: %s", h.topic, ErrHandlerFailed, err.Error())}
		return
	}
	r.reply <- localReply{msg: bytes.Clone(msg)}
}

// signal wakes whoever waits on c without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}
