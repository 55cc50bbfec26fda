package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// Redis is a Bus shared by every node connected to one Redis.
type Redis struct {
	client *redis.Client
	prefix string
	log    *slog.Logger
	id     string // names this bus's reply channel

	replyMu sync.Mutex // held while the reply subscription starts

	mu       sync.Mutex
	closed   bool
	subs     map[*redisSub]struct{}
	handlers map[*redisHandler]struct{}
	replies  *replyRouter // started by the first Request
	done     chan struct{}
}

var _ Bus = (*Redis)(nil)

// subscribeTimeout bounds the wait for Redis to confirm a subscription.
const subscribeTimeout = 5 * time.Second

// subscriptionBuffer is how many messages go-redis holds for a subscription
// whose function is busy.
const subscriptionBuffer = 1024

// NewRedis returns a bus over client. Every key and channel it uses starts
// with prefix, so several clusters (or tests) can share one Redis. The
// client stays the caller's: Close does not close it.
func NewRedis(client *redis.Client, prefix string, logger *slog.Logger) *Redis {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Redis{
		client:   client,
		prefix:   prefix,
		log:      logger.With("component", "bus"),
		id:       uuid.NewString(),
		subs:     make(map[*redisSub]struct{}),
		handlers: make(map[*redisHandler]struct{}),
		done:     make(chan struct{}),
	}
}

func (b *Redis) channel(topic string) string  { return b.prefix + "pub:" + topic }
func (b *Redis) queueKey(topic string) string { return b.prefix + "rpc:" + topic }
func (b *Redis) replyChannel() string         { return b.prefix + "reply:" + b.id }

// Publish sends msg to the topic's subscribers on every node.
func (b *Redis) Publish(ctx context.Context, topic string, msg []byte) error {
	if b.isClosed() {
		return fmt.Errorf("publish %s: %w", topic, ErrClosed)
	}
	if err := b.client.Publish(ctx, b.channel(topic), msg).Err(); err != nil {
		return fmt.Errorf("publish %s: %w", topic, err)
	}
	return nil
}

// Subscribe calls fn for every message published on topic once Redis has
// confirmed the subscription. If Redis cannot be reached, the failure is
// logged and the subscription starts when Redis comes back.
func (b *Redis) Subscribe(topic string, fn func(msg []byte)) (unsubscribe func()) {
	if b.isClosed() {
		return func() {}
	}
	ctx, cancel := context.WithTimeout(context.Background(), subscribeTimeout)
	defer cancel()
	s, err := b.subscribe(ctx, b.channel(topic), fn)
	if err != nil {
		b.log.Error("subscription not confirmed; retrying in the background", "topic", topic, "err", err)
	}
	if !b.track(s) {
		s.close()
		return func() {}
	}
	return func() { b.untrack(s); s.close() }
}

// redisSub is one pub/sub connection and the goroutine serving it.
type redisSub struct {
	ps      *redis.PubSub
	stopped chan struct{} // closed by close: skip remaining messages
	done    chan struct{}
	once    sync.Once
}

// subscribe starts a subscription; the error tells that Redis did not
// confirm it, in which case go-redis keeps trying to subscribe.
func (b *Redis) subscribe(ctx context.Context, channel string, fn func([]byte)) (*redisSub, error) {
	ps := b.client.Subscribe(ctx, channel)
	_, err := ps.Receive(ctx) // the confirmation: from now on nothing is missed
	if err != nil {
		err = fmt.Errorf("subscribe %s: %w", channel, err)
	}
	s := &redisSub{ps: ps, stopped: make(chan struct{}), done: make(chan struct{})}
	go s.run(ps.Channel(redis.WithChannelSize(subscriptionBuffer)), fn)
	return s, err
}

func (s *redisSub) run(msgs <-chan *redis.Message, fn func([]byte)) {
	defer close(s.done)
	for m := range msgs { // closed when the PubSub is closed
		select {
		case <-s.stopped:
			continue
		default:
		}
		fn([]byte(m.Payload))
	}
}

func (s *redisSub) close() {
	s.once.Do(func() {
		close(s.stopped)
		_ = s.ps.Close()
	})
	<-s.done
}

func (b *Redis) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// track registers s for Close; false if the bus is already closed.
func (b *Redis) track(s *redisSub) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false
	}
	b.subs[s] = struct{}{}
	return true
}

func (b *Redis) untrack(s *redisSub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs, s)
}

// Close ends every subscription and handler and fails waiting requests.
func (b *Redis) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.done)
	subs, handlers, replies := b.subs, b.handlers, b.replies
	b.subs, b.handlers, b.replies = nil, nil, nil
	b.mu.Unlock()

	for h := range handlers {
		h.close()
	}
	for s := range subs {
		s.close()
	}
	if replies != nil {
		replies.sub.close()
	}
	return nil
}
