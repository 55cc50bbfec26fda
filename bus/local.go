package bus

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// Local is a Bus inside one process.
type Local struct {
	log *slog.Logger

	mu       sync.Mutex
	closed   bool
	subs     map[string]map[*localSub]struct{} // by topic
	queues   map[string]*requestQueue          // by topic
	handlers map[*localHandler]struct{}
	done     chan struct{} // closed by Close
}

var _ Bus = (*Local)(nil)

// NewLocal returns an empty in-process bus that logs to logger (nil:
// nowhere).
func NewLocal(logger *slog.Logger) *Local {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Local{
		log:      logger.With("component", "bus"),
		subs:     make(map[string]map[*localSub]struct{}),
		queues:   make(map[string]*requestQueue),
		handlers: make(map[*localHandler]struct{}),
		done:     make(chan struct{}),
	}
}

// localSub is one subscription, served by its own goroutine.
type localSub struct {
	topic string
	fn    func([]byte)
	box   *mailbox
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
}

// Publish queues msg for every subscription to topic.
func (b *Local) Publish(ctx context.Context, topic string, msg []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish %s: %w", topic, err)
	}
	msg = bytes.Clone(msg) // the caller may reuse its buffer
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return fmt.Errorf("publish %s: %w", topic, ErrClosed)
	}
	for s := range b.subs[topic] {
		if !s.box.put(msg) {
			b.log.Error("subscriber too far behind, dropping messages", "topic", topic)
		}
	}
	return nil
}

// Subscribe calls fn for every message published on topic from now on.
func (b *Local) Subscribe(topic string, fn func(msg []byte)) (unsubscribe func()) {
	s := &localSub{topic: topic, fn: fn, box: newMailbox(), stop: make(chan struct{}), done: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return func() {}
	}
	if b.subs[topic] == nil {
		b.subs[topic] = make(map[*localSub]struct{})
	}
	b.subs[topic][s] = struct{}{}
	go s.run()
	return func() { b.unsubscribe(s) }
}

func (b *Local) unsubscribe(s *localSub) {
	b.mu.Lock()
	delete(b.subs[s.topic], s)
	if len(b.subs[s.topic]) == 0 {
		delete(b.subs, s.topic)
	}
	b.mu.Unlock()
	s.close()
}

func (s *localSub) close() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

func (s *localSub) run() {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-s.box.wake:
		}
		for _, msg := range s.box.take() {
			select {
			case <-s.stop:
				return
			default:
			}
			s.fn(msg)
		}
	}
}

// Close ends every subscription and handler and fails waiting requests.
func (b *Local) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	var subs []*localSub
	for _, byTopic := range b.subs {
		for s := range byTopic {
			subs = append(subs, s)
		}
	}
	handlers := make([]*localHandler, 0, len(b.handlers))
	for h := range b.handlers {
		handlers = append(handlers, h)
	}
	b.subs, b.handlers = nil, nil
	b.mu.Unlock()

	for _, s := range subs {
		s.close()
	}
	for _, h := range handlers {
		h.close()
	}
	return nil
}
