package bus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"cloudwindow/bus"
	"cloudwindow/bus/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// implementation opens a Bus for the behaviour tests; every implementation
// must pass the same table.
type implementation struct {
	name string
	open func(t *testing.T) (b bus.Bus, queued func(topic string) int)
}

func implementations() []implementation {
	impls := []implementation{{name: "local", open: openLocal}}
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") != "" {
		impls = append(impls, implementation{name: "redis", open: openRedis})
	}
	return impls
}

func openLocal(t *testing.T) (bus.Bus, func(string) int) {
	b := bus.NewLocal(nil)
	t.Cleanup(func() { b.Close() })
	queued := func(topic string) int {
		return b.Queued(topic)
	}
	return b, queued
}

func openRedis(t *testing.T) (bus.Bus, func(string) int) {
	client, prefix := bustest.OpenRedis(t)
	b := bus.NewRedis(client, prefix, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { b.Close() })
	queued := func(topic string) int {
		n, err := client.LLen(context.Background(), b.QueueKey(topic)).Result()
		if err != nil {
			t.Errorf("queue length: %v", err)
		}
		return int(n)
	}
	return b, queued
}

func TestBusBehaviour(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b bus.Bus, queued func(string) int)
	}{
		{"subscribers get their topic's messages in order", testPublishOrder},
		{"a subscription gets one message at a time", testOneAtATime},
		{"unsubscribed functions are not called", testUnsubscribe},
		{"a handler answers a request", testRequestReply},
		{"each request is served by exactly one handler", testOneHandler},
		{"a handler's error reaches the caller", testHandlerError},
		{"a request with no handler times out with ErrNoHandler", testNoHandler},
		{"a request waits for a handler to come", testWaitsForHandler},
		{"an abandoned request is never served", testAbandonedNotServed},
		{"a slow handler's caller times out", testSlowHandler},
		{"a stopped handler serves no more", testStopHandler},
		{"close ends everything", testClose},
	}
	for _, impl := range implementations() {
		for _, c := range cases {
			t.Run(impl.name+"/"+c.name, func(t *testing.T) {
				b, queued := impl.open(t)
				c.run(t, b, queued)
			})
		}
	}
}

// collector records the messages a subscription gets.
type collector struct {
	mu      sync.Mutex
	msgs    []string
	changed chan struct{} // closed and replaced on every message
}

func newCollector() *collector { return &collector{changed: make(chan struct{})} }

func (c *collector) add(msg []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, string(msg))
	close(c.changed)
	c.changed = make(chan struct{})
}

// wait returns the messages once there are n; the deadline only guards
// against a hang.
func (c *collector) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		msgs, changed := slices.Clone(c.msgs), c.changed
		c.mu.Unlock()
		if len(msgs) >= n {
			return msgs
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("got %d messages, want %d: %q", len(msgs), n, msgs)
		}
	}
}

func publish(t *testing.T, b bus.Bus, topic, msg string) {
	t.Helper()
	if err := b.Publish(t.Context(), topic, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func testPublishOrder(t *testing.T, b bus.Bus, _ func(string) int) {
	first, second, other := newCollector(), newCollector(), newCollector()
	t.Cleanup(b.Subscribe("calls", first.add))
	t.Cleanup(b.Subscribe("calls", second.add))
	t.Cleanup(b.Subscribe("other", other.add))
	var want []string
	buf := make([]byte, 0, 16)
	for i := range 100 {
		msg := fmt.Sprintf("m%d", i)
		want = append(want, msg)
		buf = append(buf[:0], msg...) // reused: the bus must not keep it
		if err := b.Publish(t.Context(), "calls", buf); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, b, "other", "x")
	for _, c := range []*collector{first, second} {
		if got := c.wait(t, 100); !slices.Equal(got, want) {
			t.Fatalf("got %q,\nwant %q", got, want)
		}
	}
	if got := other.wait(t, 1); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("other topic got %q", got)
	}
}

func testOneAtATime(t *testing.T, b bus.Bus, _ func(string) int) {
	var inside atomic.Int32
	c := newCollector()
	t.Cleanup(b.Subscribe("t", func(msg []byte) {
		if inside.Add(1) > 1 {
			t.Error("subscription function called while running")
		}
		c.add(msg)
		inside.Add(-1)
	}))
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 25 {
				if err := b.Publish(t.Context(), "t", fmt.Appendf(nil, "%d-%d", p, i)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	c.wait(t, 100)
}

func testUnsubscribe(t *testing.T, b bus.Bus, _ func(string) int) {
	gone, stays := newCollector(), newCollector()
	unsubscribe := b.Subscribe("t", gone.add)
	t.Cleanup(b.Subscribe("t", stays.add))
	publish(t, b, "t", "before")
	gone.wait(t, 1)
	unsubscribe()
	unsubscribe() // twice is harmless
	publish(t, b, "t", "after")
	stays.wait(t, 2)
	if got := gone.wait(t, 1); len(got) != 1 {
		t.Fatalf("unsubscribed function got %q", got)
	}
}

func upper(_ context.Context, msg []byte) ([]byte, error) {
	return []byte(strings.ToUpper(string(msg))), nil
}

// waitQueued waits until a request waits on topic; the deadline only guards
// against a hang.
func waitQueued(t *testing.T, queued func(string) int, topic string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); queued(topic) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no request queued on %s", topic)
		}
		time.Sleep(time.Millisecond)
	}
}

func testRequestReply(t *testing.T, b bus.Bus, _ func(string) int) {
	t.Cleanup(b.Handle("echo", upper))
	got, err := b.Request(t.Context(), "echo", []byte("ni hao"))
	if err != nil || string(got) != "NI HAO" {
		t.Fatalf("request = %q, %v; want NI HAO", got, err)
	}
}

func testOneHandler(t *testing.T, b bus.Bus, _ func(string) int) {
	var served atomic.Int32
	handler := func(ctx context.Context, msg []byte) ([]byte, error) {
		served.Add(1)
		return upper(ctx, msg)
	}
	t.Cleanup(b.Handle("echo", handler))
	t.Cleanup(b.Handle("echo", handler))
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			msg := fmt.Sprintf("r%d", i)
			got, err := b.Request(t.Context(), "echo", []byte(msg))
			if err != nil || string(got) != strings.ToUpper(msg) {
				t.Errorf("request %s = %q, %v", msg, got, err)
			}
		})
	}
	wg.Wait()
	if n := served.Load(); n != 20 {
		t.Fatalf("handlers served %d requests, want 20", n)
	}
}

func testHandlerError(t *testing.T, b bus.Bus, _ func(string) int) {
	t.Cleanup(b.Handle("fail", func(context.Context, []byte) ([]byte, error) {
		return nil, errors.New("agent a1 not found")
	}))
	_, err := b.Request(t.Context(), "fail", []byte("x"))
	if !errors.Is(err, bus.ErrHandlerFailed) || !strings.Contains(err.Error(), "agent a1 not found") {
		t.Fatalf("request error = %v, want ErrHandlerFailed with the handler's text", err)
	}
}

func shortContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func testNoHandler(t *testing.T, b bus.Bus, queued func(string) int) {
	_, err := b.Request(shortContext(t), "nobody", []byte("x"))
	if !errors.Is(err, bus.ErrNoHandler) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("request error = %v, want ErrNoHandler and DeadlineExceeded", err)
	}
	if n := queued("nobody"); n != 0 {
		t.Fatalf("%d requests left behind", n)
	}
}

func testWaitsForHandler(t *testing.T, b bus.Bus, queued func(string) int) {
	type result struct {
		msg []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		msg, err := b.Request(t.Context(), "later", []byte("waited"))
		done <- result{msg, err}
	}()
	waitQueued(t, queued, "later")
	t.Cleanup(b.Handle("later", upper))
	if r := <-done; r.err != nil || string(r.msg) != "WAITED" {
		t.Fatalf("request = %q, %v", r.msg, r.err)
	}
}

func testAbandonedNotServed(t *testing.T, b bus.Bus, _ func(string) int) {
	if _, err := b.Request(shortContext(t), "t", []byte("abandoned")); !errors.Is(err, bus.ErrNoHandler) {
		t.Fatalf("request error = %v, want ErrNoHandler", err)
	}
	c := newCollector()
	t.Cleanup(b.Handle("t", func(_ context.Context, msg []byte) ([]byte, error) {
		c.add(msg)
		return msg, nil
	}))
	if _, err := b.Request(t.Context(), "t", []byte("current")); err != nil {
		t.Fatal(err)
	}
	if got := c.wait(t, 1); !slices.Equal(got, []string{"current"}) {
		t.Fatalf("handler served %q, want only the current request", got)
	}
}

func testSlowHandler(t *testing.T, b bus.Bus, _ func(string) int) {
	release := make(chan struct{})
	stop := b.Handle("slow", func(context.Context, []byte) ([]byte, error) {
		<-release
		return nil, nil
	})
	t.Cleanup(stop)
	t.Cleanup(func() { close(release) })
	_, err := b.Request(shortContext(t), "slow", []byte("x"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, bus.ErrNoHandler) {
		t.Fatalf("request error = %v, want DeadlineExceeded (taken, not answered)", err)
	}
}

func testStopHandler(t *testing.T, b bus.Bus, _ func(string) int) {
	stop := b.Handle("echo", upper)
	if _, err := b.Request(t.Context(), "echo", []byte("x")); err != nil {
		t.Fatal(err)
	}
	stop()
	stop() // twice is harmless
	if _, err := b.Request(shortContext(t), "echo", []byte("x")); !errors.Is(err, bus.ErrNoHandler) {
		t.Fatalf("request after stop: %v, want ErrNoHandler", err)
	}
}

func testClose(t *testing.T, b bus.Bus, queued func(string) int) {
	c := newCollector()
	b.Subscribe("t", c.add)
	b.Handle("echo", upper)
	waiting := make(chan error, 1)
	go func() {
		_, err := b.Request(t.Context(), "nobody", []byte("x"))
		waiting <- err
	}()
	waitQueued(t, queued, "nobody")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-waiting; !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("waiting request: %v, want ErrClosed", err)
	}
	if err := b.Publish(t.Context(), "t", []byte("x")); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	if _, err := b.Request(t.Context(), "echo", []byte("x")); !errors.Is(err, bus.ErrClosed) {
		t.Fatalf("request after close: %v", err)
	}
	b.Subscribe("t", c.add)()
	b.Handle("echo", upper)()
	if err := b.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
