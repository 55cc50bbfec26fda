package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// implementation opens a Queue for the behaviour tests; every implementation
// must pass the same table.
type implementation struct {
	name string
	open func(t *testing.T, cfg Config, l Listener) Queue
}

func implementations() []implementation {
	return append([]implementation{{name: "local", open: openLocal}}, clusterImplementations()...)
}

func openLocal(t *testing.T, cfg Config, l Listener) Queue {
	q := NewLocal(cfg, l)
	t.Cleanup(func() {
		checkInvariants(t, q)
		if err := q.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return q
}

// recorder is a Listener that keeps a readable log of what it was told.
type recorder struct {
	mu        sync.Mutex
	log       []string
	positions map[string]Position // last pushed, by station
	stats     Stats
	changed   chan struct{} // closed and replaced on every event
}

func newRecorder() *recorder {
	return &recorder{positions: make(map[string]Position), changed: make(chan struct{})}
}

func (r *recorder) record(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, line)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *recorder) Offered(agentID string, req Request, ring time.Duration) {
	r.record(fmt.Sprintf("offered %s %s ring=%s", agentID, req.ID, ring))
}

func (r *recorder) OfferWithdrawn(agentID, requestID, reason string) {
	r.record(fmt.Sprintf("withdrawn %s %s %s", agentID, requestID, reason))
}

func (r *recorder) PositionChanged(stationID string, pos Position) {
	r.mu.Lock()
	r.positions[stationID] = pos
	r.mu.Unlock()
	r.record(fmt.Sprintf("position %s %s #%d wait=%s", stationID, pos.RequestID, pos.Position, pos.EstimatedWait))
}

func (r *recorder) AgentStateChanged(agentID string, state AgentState) {
	r.record(fmt.Sprintf("state %s %s", agentID, state))
}

func (r *recorder) StatsChanged(s Stats) {
	r.mu.Lock()
	r.stats = s
	r.mu.Unlock()
	r.record(fmt.Sprintf("stats waiting=%d green=%d", s.Waiting, s.GreenWaiting))
}

// harness drives one queue with a fake clock and a recorder.
type harness struct {
	t     *testing.T
	ctx   context.Context
	q     Queue
	clock *fakeClock
	rec   *recorder
}

func newHarness(t *testing.T, impl implementation, cfg Config) *harness {
	h := &harness{t: t, ctx: t.Context(), clock: newFakeClock(), rec: newRecorder()}
	cfg.Clock = h.clock
	cfg.Logger = slog.New(slog.DiscardHandler)
	h.q = impl.open(t, cfg, h.rec)
	return h
}

func request(id, stationID, group string) Request {
	return Request{ID: id, StationID: stationID, StationName: "station " + stationID, SkillGroup: group}
}

func (h *harness) enqueue(r Request) Position {
	h.t.Helper()
	pos, err := h.q.Enqueue(h.ctx, r)
	if err != nil {
		h.t.Fatalf("enqueue %s: %v", r.ID, err)
	}
	return pos
}

// readyAgent brings an agent online and ready.
func (h *harness) readyAgent(a Agent) {
	h.t.Helper()
	h.must(h.q.AgentOnline(h.ctx, a))
	h.must(h.q.SetReady(h.ctx, a.ID, true))
}

func (h *harness) accept(agentID, requestID string) Request {
	h.t.Helper()
	req, err := h.q.Accept(h.ctx, agentID, requestID)
	if err != nil {
		h.t.Fatalf("%s accepts %s: %v", agentID, requestID, err)
	}
	return req
}

// tryAccept is Accept for cases expected to fail.
func (h *harness) tryAccept(agentID, requestID string) error {
	_, err := h.q.Accept(h.ctx, agentID, requestID)
	return err
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) wantErr(err, want error) {
	h.t.Helper()
	if !errors.Is(err, want) {
		h.t.Fatalf("got error %v, want %v", err, want)
	}
}

func (h *harness) wantState(agentID string, want AgentState) {
	h.t.Helper()
	got, err := h.q.AgentState(h.ctx, agentID)
	if err != nil || got != want {
		h.t.Fatalf("agent %s state = %q, %v; want %q", agentID, got, err, want)
	}
}

// wantPosition checks a station's place in the queue.
func (h *harness) wantPosition(stationID string, want int) Position {
	h.t.Helper()
	_, pos, ok := h.q.Waiting(h.ctx, stationID)
	if !ok || pos.Position != want {
		h.t.Fatalf("station %s: position %d (waiting=%t), want %d", stationID, pos.Position, ok, want)
	}
	return pos
}

func (h *harness) wantNotWaiting(stationID string) {
	h.t.Helper()
	if req, _, ok := h.q.Waiting(h.ctx, stationID); ok {
		h.t.Fatalf("station %s still waits with %s", stationID, req.ID)
	}
}

// mark is where the events after now start, for waitEvent and noEvent.
func (h *harness) mark() int {
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	return len(h.rec.log)
}

// waitEvent waits until an event starting with want is recorded after mark.
// Delivery may be asynchronous in other implementations; the deadline only
// guards against a hang.
func (h *harness) waitEvent(mark int, want string) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		h.rec.mu.Lock()
		found := slices.ContainsFunc(h.rec.log[mark:], func(l string) bool { return strings.HasPrefix(l, want) })
		changed := h.rec.changed
		h.rec.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("no event %q; events since mark:\n%s", want, h.since(mark))
		}
	}
}

// noEvent checks that no event starting with unwanted was recorded after mark.
func (h *harness) noEvent(mark int, unwanted string) {
	h.t.Helper()
	h.rec.mu.Lock()
	found := slices.ContainsFunc(h.rec.log[mark:], func(l string) bool { return strings.HasPrefix(l, unwanted) })
	h.rec.mu.Unlock()
	if found {
		h.t.Fatalf("unexpected event %q; events since mark:\n%s", unwanted, h.since(mark))
	}
}

func (h *harness) since(mark int) string {
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	return strings.Join(h.rec.log[mark:], "\n")
}

// lastPosition is the position last pushed to a station.
func (h *harness) lastPosition(stationID string) (Position, bool) {
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	pos, ok := h.rec.positions[stationID]
	return pos, ok
}
