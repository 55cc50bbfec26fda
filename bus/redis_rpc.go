package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// pushRequest queues a request and makes the list outlive it, so that a list
// nobody serves disappears once its requests have expired.
var pushRequest = redis.NewScript(`
redis.call('LPUSH', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1`)

// Timings of the Redis request path.
const (
	// handlerPoll is the longest a handler blocks in BRPOP before checking
	// whether it was stopped (stop also wakes it at once through its wake key).
	handlerPoll = 5 * time.Second
	// handlerRetry is the pause after a failed BRPOP, while Redis is away.
	handlerRetry = 500 * time.Millisecond
	// cleanupTimeout bounds the Redis commands that tidy up after a request
	// or handler whose own context has ended.
	cleanupTimeout = 2 * time.Second
)

// Request queues msg on topic's list and waits for one handler's reply.
func (b *Redis) Request(ctx context.Context, topic string, msg []byte) ([]byte, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	router, err := b.replyRouter(ctx)
	if err != nil {
		return nil, fmt.Errorf("bus request %s: %w", topic, err)
	}
	deadline, _ := ctx.Deadline()
	req := wireRequest{ID: uuid.NewString(), ReplyTo: b.replyChannel(), Deadline: deadline.UnixMilli(), Body: msg}
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("bus request %s: encode: %w", topic, err)
	}
	replies := router.expect(req.ID)
	defer router.forget(req.ID)
	// At least a second: a list's expiry covers every request in it.
	ttl := max(time.Until(deadline).Milliseconds()+1, 1000)
	if err := pushRequest.Run(ctx, b.client, []string{b.queueKey(topic)}, data, ttl).Err(); err != nil {
		return nil, fmt.Errorf("bus request %s: queue: %w", topic, err)
	}
	select {
	case rep := <-replies:
		return rep.result(topic)
	case <-ctx.Done():
		return nil, b.abandon(topic, data, ctx.Err())
	case <-b.done:
		return nil, fmt.Errorf("bus request %s: %w", topic, ErrClosed)
	}
}

// abandon takes back a request whose caller gives up, telling whether a
// handler had taken it.
func (b *Redis) abandon(topic string, data []byte, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	removed, err := b.client.LRem(ctx, b.queueKey(topic), 1, data).Result()
	switch {
	case err != nil:
		return fmt.Errorf("bus request %s: no reply: %w", topic, errors.Join(cause, err))
	case removed > 0:
		return fmt.Errorf("bus request %s: %w: %w", topic, ErrNoHandler, cause)
	}
	return fmt.Errorf("bus request %s: no reply: %w", topic, cause)
}

// replyRouter hands the replies arriving on this bus's reply channel to the
// requests waiting for them.
type replyRouter struct {
	sub     *redisSub
	mu      sync.Mutex
	waiting map[string]chan wireReply // by request id; capacity 1
}

// replyRouter returns the router, subscribing to the reply channel on first use.
func (b *Redis) replyRouter(ctx context.Context) (*replyRouter, error) {
	b.replyMu.Lock()
	defer b.replyMu.Unlock()
	b.mu.Lock()
	r, closed := b.replies, b.closed
	b.mu.Unlock()
	switch {
	case closed:
		return nil, ErrClosed
	case r != nil:
		return r, nil
	}
	r = &replyRouter{waiting: make(map[string]chan wireReply)}
	sub, err := b.subscribe(ctx, b.replyChannel(), r.route)
	if err != nil {
		sub.close()
		return nil, err
	}
	r.sub = sub
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		sub.close()
		return nil, ErrClosed
	}
	b.replies = r
	return r, nil
}

func (r *replyRouter) expect(id string) <-chan wireReply {
	c := make(chan wireReply, 1)
	r.mu.Lock()
	r.waiting[id] = c
	r.mu.Unlock()
	return c
}

func (r *replyRouter) forget(id string) {
	r.mu.Lock()
	delete(r.waiting, id)
	r.mu.Unlock()
}

func (r *replyRouter) route(msg []byte) {
	var rep wireReply
	if json.Unmarshal(msg, &rep) != nil {
		return // not ours to answer; the request will time out
	}
	r.mu.Lock()
	c := r.waiting[rep.ID]
	r.mu.Unlock()
	if c != nil {
		select {
		case c <- rep:
		default: // a duplicate
		}
	}
}

// redisHandler pops a topic's requests on its own goroutine.
type redisHandler struct {
	b       *Redis
	topic   string
	wakeKey string // pushed to by stop, so that BRPOP returns at once
	fn      func(ctx context.Context, msg []byte) ([]byte, error)
	ctx     context.Context // cancelled by stop
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// Handle serves topic's requests with fn until stop is called.
func (b *Redis) Handle(topic string, fn func(ctx context.Context, msg []byte) ([]byte, error)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	h := &redisHandler{
		b: b, topic: topic, wakeKey: b.prefix + "wake:" + uuid.NewString(), fn: fn,
		ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		cancel()
		return func() {}
	}
	b.handlers[h] = struct{}{}
	go h.run()
	return func() {
		b.mu.Lock()
		delete(b.handlers, h)
		b.mu.Unlock()
		h.close()
	}
}

func (h *redisHandler) run() {
	defer close(h.done)
	for h.ctx.Err() == nil {
		res, err := h.b.client.BRPop(h.ctx, handlerPoll, h.b.queueKey(h.topic), h.wakeKey).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue // nothing within handlerPoll
		case err != nil:
			if h.ctx.Err() == nil {
				h.b.log.Warn("waiting for requests", "topic", h.topic, "err", err)
				h.pause()
			}
			continue
		case res[0] == h.wakeKey:
			return
		}
		h.serve([]byte(res[1]))
	}
}

func (h *redisHandler) pause() {
	t := time.NewTimer(handlerRetry)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.ctx.Done():
	}
}

func (h *redisHandler) serve(data []byte) {
	var req wireRequest
	if err := json.Unmarshal(data, &req); err != nil {
		h.b.log.Error("dropping malformed request", "topic", h.topic, "err", err)
		return
	}
	if req.expired(time.Now()) {
		return // the caller has given up
	}
	ctx, cancel := context.WithDeadline(h.ctx, time.UnixMilli(req.Deadline))
	body, err := h.fn(ctx, req.Body)
	cancel()
	rep := wireReply{ID: req.ID, Body: body}
	if err != nil {
		rep.Error = err.Error()
	}
	h.reply(req.ReplyTo, rep)
}

func (h *redisHandler) reply(channel string, rep wireReply) {
	data, err := json.Marshal(rep)
	if err != nil {
		h.b.log.Error("encode reply", "topic", h.topic, "err", err)
		return
	}
	// The reply goes out even if the handler is stopping: the work is done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(h.ctx), cleanupTimeout)
	defer cancel()
	if err := h.b.client.Publish(ctx, channel, data).Err(); err != nil {
		h.b.log.Warn("send reply", "topic", h.topic, "err", err)
	}
}

// close stops the handler, waking it from BRPOP, and waits for it to end.
func (h *redisHandler) close() {
	h.once.Do(func() {
		h.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		pipe := h.b.client.TxPipeline()
		pipe.LPush(ctx, h.wakeKey, "stop")
		pipe.PExpire(ctx, h.wakeKey, cleanupTimeout)
		if _, err := pipe.Exec(ctx); err != nil {
			h.b.log.Warn("wake handler", "topic", h.topic, "err", err)
		}
		<-h.done
		h.b.client.Del(ctx, h.wakeKey)
	})
	<-h.done
}
