package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type backendImpl struct {
	name string
	open func(t testing.TB) backend
}

func backends() []backendImpl {
	impls := []backendImpl{{"memory", memoryBackend}}
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") != "" {
		impls = append(impls, backendImpl{"redis", redisBackend})
	}
	return impls
}

// cutLocker is a node's view of the Locker, which a test can cut off as if
// the node had lost Redis.
type cutLocker struct {
	Locker
	cut atomic.Bool
}

var errCut = errors.New("connection refused")

func (l *cutLocker) Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error) {
	if l.cut.Load() {
		return false, errCut
	}
	return l.Locker.Lock(ctx, holder, ttl)
}

func (l *cutLocker) Unlock(ctx context.Context, holder string) error {
	if l.cut.Load() {
		return errCut
	}
	return l.Locker.Unlock(ctx, holder)
}

func (l *cutLocker) Save(ctx context.Context, holder string, c StateChange) error {
	if l.cut.Load() {
		return errCut
	}
	return l.Locker.Save(ctx, holder, c)
}

func (l *cutLocker) Load(ctx context.Context) (SavedState, error) {
	if l.cut.Load() {
		return SavedState{}, errCut
	}
	return l.Locker.Load(ctx)
}

// waitUntil polls cond; the deadline only guards against a hang.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failoverConfig has a short lock, so that a dead leader's lock expires
// quickly, and long ring and wrap-up timeouts driven by the fake clock.
func failoverConfig(clock *fakeClock) Config {
	return Config{
		Clock: clock, Logger: slog.New(slog.DiscardHandler), LeaderTTL: time.Second,
		RingTimeout: time.Minute, WrapUpTimeout: 2 * time.Minute,
	}
}

// startLeader starts node "a" and waits until it leads; its Locker can be cut.
func startLeader(t *testing.T, cfg Config, be backend) (*Cluster, *cutLocker) {
	lock := &cutLocker{Locker: be.lock}
	a := startNode(t, cfg, backend{newBus: be.newBus, lock: lock}, "a", nil)
	waitUntil(t, "a leads", a.IsLeader)
	return a, lock
}

// startFailover starts leader a, whose Locker the test can cut, and node b,
// whose listener h records and through which h calls the queue. bLock is
// b's view of the Locker.
func startFailover(t *testing.T, be backend, bLock Locker) (h *harness, a *Cluster, aLock *cutLocker) {
	clock := newFakeClock()
	cfg := failoverConfig(clock)
	a, aLock = startLeader(t, cfg, be)
	h = &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
	h.q = startNode(t, cfg, backend{newBus: be.newBus, lock: bLock}, "b", h.rec)
	return h, a, aLock
}

func TestClusterFailover(t *testing.T) {
	kills := []struct {
		name string
		kill func(leader *Cluster, lock *cutLocker)
	}{
		{"leader hands over as it closes", func(c *Cluster, _ *cutLocker) { c.Close() }},
		{"leader dies holding the lock", func(c *Cluster, lock *cutLocker) {
			lock.cut.Store(true) // nothing saved or released from here on
			c.Close()
		}},
	}
	for _, be := range backends() {
		for _, k := range kills {
			t.Run(be.name+"/"+k.name, func(t *testing.T) { testFailover(t, be.open(t), k.kill) })
		}
	}
}

func testFailover(t *testing.T, be backend, kill func(*Cluster, *cutLocker)) {
	h, a, aLock := startFailover(t, be, be.lock)
	b, clock := h.q.(*Cluster), h.clock

	h.readyAgent(Agent{ID: "a1", Skills: []string{"medicare"}})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	h.readyAgent(Agent{ID: "a3", Skills: []string{"pension"}})
	h.enqueue(request("r1", "s1", "medicare")) // rings at a1
	h.enqueue(request("r2", "s2", "medicare"))
	h.accept("a2", "r2")
	h.must(b.CallEnded(h.ctx, "a2", 3*time.Minute)) // wrap-up for 2 min
	clock.Advance(30 * time.Second)
	h.enqueue(request("r4", "s4", "pension")) // rings at a3
	green := request("r3", "s3", "pension")
	green.Green, green.GreenReason = true, GreenPregnant
	h.enqueue(green)
	// Last, a change no event shows: a1 declines r1, which now waits for a2.
	h.must(b.Reject(h.ctx, "a1", "r1"))
	before := waitingAt(h, "s1", "s3", "s4")

	m := h.mark()
	kill(a, aLock)
	waitUntil(t, "b leads", b.IsLeader)

	if after := waitingAt(h, "s1", "s3", "s4"); !slices.Equal(after, before) {
		t.Fatalf("waiting after failover:\n%s\nbefore:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	h.wantState("a1", Ready)
	h.wantState("a2", WrapUp)
	h.wantState("a3", Ready)
	h.waitEvent(m, "offered a3 r4 ring=1m0s") // rings again at the same agent
	h.noEvent(m, "offered a1 r1")             // still declined
	h.accept("a3", "r4")

	h.clock.Advance(89 * time.Second) // a2's wrap-up had 90 s left
	h.wantState("a2", WrapUp)
	h.clock.Advance(time.Second)
	h.wantState("a2", Ready)
	h.waitEvent(m, "offered a2 r3") // green first
}

// waitingAt describes the stations' waiting requests: id, enqueue time,
// position and estimate.
func waitingAt(h *harness, stations ...string) []string {
	h.t.Helper()
	var out []string
	for _, s := range stations {
		req, pos, ok := h.q.Waiting(h.ctx, s)
		if !ok {
			h.t.Fatalf("station %s does not wait", s)
		}
		out = append(out, fmt.Sprintf("%s %s enqueued %s #%d wait=%s",
			s, req.ID, req.EnqueuedAt.Format(time.TimeOnly), pos.Position, pos.EstimatedWait))
	}
	return out
}

// TestClusterLeaderCutOff: a leader that cannot renew its lock stops leading
// before the lock can pass on, and follows the new leader once it is back.
func TestClusterLeaderCutOff(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			cfg := failoverConfig(newFakeClock())
			backend := be.open(t)
			a, aLock := startLeader(t, cfg, backend)
			b := startNode(t, cfg, backend, "b", nil)
			ctx := t.Context()
			if _, err := b.Enqueue(ctx, request("r1", "s1", "medicare")); err != nil {
				t.Fatal(err)
			}

			aLock.cut.Store(true)
			waitUntil(t, "a steps down", func() bool { return !a.IsLeader() })
			waitUntil(t, "b leads", b.IsLeader)
			aLock.cut.Store(false)

			if pos, err := a.Enqueue(ctx, request("r2", "s2", "medicare")); err != nil || pos.Position != 2 {
				t.Fatalf("enqueue through the old leader = %+v, %v; want position 2", pos, err)
			}
			if _, pos, ok := a.Waiting(ctx, "s1"); !ok || pos.Position != 1 {
				t.Fatalf("s1 waits at %d (%t) after the cut, want 1", pos.Position, ok)
			}
			if a.IsLeader() || !b.IsLeader() {
				t.Fatalf("a leads: %t, b leads: %t; want only b", a.IsLeader(), b.IsLeader())
			}
		})
	}
}

// TestClusterCallWaitsForLeader: a call made while nobody leads is answered
// by the node that takes over.
func TestClusterCallWaitsForLeader(t *testing.T) {
	be := memoryBackend(t)
	if held, err := be.lock.Lock(t.Context(), "gone", 300*time.Millisecond); !held || err != nil {
		t.Fatalf("lock for a vanished leader: %t, %v", held, err)
	}
	b := startNode(t, failoverConfig(newFakeClock()), be, "b", nil)
	pos, err := b.Enqueue(t.Context(), request("r1", "s1", "medicare"))
	if err != nil || pos.Position != 1 {
		t.Fatalf("enqueue = %+v, %v; want position 1", pos, err)
	}
	if !b.IsLeader() {
		t.Fatal("b answered without leading")
	}
}

// TestClusterEventsReachEveryNode: the node that made a call has heard its
// events when the call returns; every other node hears them too.
func TestClusterEventsReachEveryNode(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			backend := be.open(t)
			cfg := Config{Clock: newFakeClock(), Logger: slog.New(slog.DiscardHandler)}
			ha := &harness{t: t, ctx: t.Context(), rec: newRecorder()}
			hb := &harness{t: t, ctx: t.Context(), rec: newRecorder()}
			ha.q = startNode(t, cfg, backend, "a", ha.rec)
			hb.q = startNode(t, cfg, backend, "b", hb.rec)

			ha.enqueue(request("r1", "s1", "medicare"))
			if pos, ok := ha.lastPosition("s1"); !ok || pos.Position != 1 {
				t.Fatalf("caller's listener: s1 at %+v (%t) when enqueue returned", pos, ok)
			}
			hb.waitEvent(0, "position s1 r1 #1")
			hb.readyAgent(Agent{ID: "a1", Generalist: true})
			ha.waitEvent(0, "offered a1 r1")
		})
	}
}

// answering accepts every offer from inside the listener callback.
type answering struct {
	*recorder
	q Queue
}

func (l *answering) Offered(agentID string, req Request, ring time.Duration) {
	l.recorder.Offered(agentID, req, ring)
	if _, err := l.q.Accept(context.Background(), agentID, req.ID); err != nil {
		l.record("accept failed: " + err.Error())
	}
}

func TestClusterListenerMayCallBack(t *testing.T) {
	l := &answering{recorder: newRecorder()}
	h := &harness{t: t, ctx: t.Context(), rec: l.recorder}
	c := startNode(t, Config{Clock: newFakeClock(), Logger: slog.New(slog.DiscardHandler)}, memoryBackend(t), "a", l)
	l.q, h.q = c, c

	h.must(c.AgentOnline(h.ctx, Agent{ID: "a1", Generalist: true}))
	h.enqueue(request("r1", "s1", "medicare"))
	m := h.mark()
	h.must(c.SetReady(h.ctx, "a1", true))
	h.waitEvent(m, "stats waiting=0")
	want := []string{"state a1 ready", "offered a1 r1 ring=20s", "stats waiting=1 green=0", "state a1 busy", "stats waiting=0 green=0"}
	if got := strings.Split(h.since(m), "\n"); !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	h.wantState("a1", Busy)
}

func TestClusterClose(t *testing.T) {
	be := memoryBackend(t)
	cfg := failoverConfig(newFakeClock())
	a, _ := startLeader(t, cfg, be)
	b := startNode(t, cfg, be, "b", nil)
	ctx := t.Context()
	if _, err := a.Enqueue(ctx, request("r1", "s1", "medicare")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Enqueue(ctx, request("r2", "s2", "medicare")); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v, want ErrClosed", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, pos, ok := b.Waiting(ctx, "s1"); !ok || pos.Position != 1 {
		t.Fatalf("s1 at %d (%t) after the leader left, want 1", pos.Position, ok)
	}
	if !b.IsLeader() {
		t.Fatal("b answered without leading")
	}
}

// TestFeedIgnoresStaleEvents: batches from a replaced leader, and repeats,
// reach no listener.
func TestFeedIgnoresStaleEvents(t *testing.T) {
	rec := newRecorder()
	f := newFeed(rec, slog.New(slog.DiscardHandler))
	batch := func(term, seq uint64, agent string) []byte {
		return fmt.Appendf(nil, `{"term":%d,"seq":%d,"events":[{"kind":"agent_state","agent_id":%q,"state":"ready"}]}`, term, seq, agent)
	}
	f.receive(batch(2, 1, "new"))
	f.receive(batch(1, 7, "stale"))
	f.receive(batch(2, 1, "repeat"))
	f.receive([]byte("not json"))
	f.receive(batch(3, 1, "newer"))
	f.deliver()
	if got, want := rec.log, []string{"state new ready", "state newer ready"}; !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

// slowLocker is a node's view of the Locker whose saves take delay, as on a
// crowded machine or a slow Redis; the save itself still lands.
type slowLocker struct {
	Locker
	delay time.Duration
}

func (l *slowLocker) Save(ctx context.Context, holder string, c StateChange) error {
	time.Sleep(l.delay)
	return l.Locker.Save(context.WithoutCancel(ctx), holder, c)
}

// TestClusterSlowTakeOverTellsEveryStation: a successor whose first save
// outlasts the time it gives itself to take over still tells every waiting
// station its position, once the bus takes its events.
func TestClusterSlowTakeOverTellsEveryStation(t *testing.T) {
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			backend := be.open(t)
			slow := &slowLocker{Locker: backend.lock, delay: failoverConfig(nil).LeaderTTL * 3 / 4}
			h, a, aLock := startFailover(t, backend, slow)
			b := h.q.(*Cluster)
			for i := range 3 {
				h.enqueue(request(fmt.Sprintf("r%d", i), fmt.Sprintf("s%d", i), "medicare"))
			}

			m := h.mark()
			aLock.cut.Store(true)
			a.Close()
			waitUntil(t, "b leads", b.IsLeader)
			after := positionsSince(h, m, 3)
			for i := range 3 {
				if got := after[fmt.Sprintf("s%d", i)].Position; got != i+1 {
					t.Errorf("station s%d told position %d after failover, want %d", i, got, i+1)
				}
			}
		})
	}
}
