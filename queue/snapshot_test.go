package queue

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"
)

// savedQueue builds a queue with a ringing offer, a rejection, an agent in
// wrap-up, one offline and recent handle times, and returns its snapshot as
// it would travel through Redis, with the queue's own view of it.
func savedQueue(t *testing.T, clock *fakeClock) (snapshot, *Local) {
	h := &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
	q := NewLocal(Config{Clock: clock, Logger: slog.New(slog.DiscardHandler)}, h.rec)
	t.Cleanup(func() { q.Close() })
	h.q = q
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	h.readyAgent(Agent{ID: "a3", Skills: []string{"pension"}})
	h.must(q.AgentOnline(h.ctx, Agent{ID: "a4", Generalist: true}))
	h.must(q.AgentOffline(h.ctx, "a4"))

	h.enqueue(request("r1", "s1", "medicare")) // rings at a1
	h.enqueue(request("r2", "s2", "medicare")) // rings at a2, who rejects it
	h.must(q.Reject(h.ctx, "a2", "r2"))
	h.enqueue(request("r3", "s3", "pension"))
	h.accept("a3", "r3")
	h.must(q.CallEnded(h.ctx, "a3", 2*time.Minute))
	clock.Advance(10 * time.Second)
	green := request("r4", "s4", "pension") // a3 wraps up: rings at a2
	green.Green, green.GreenReason = true, GreenElderly
	h.enqueue(green)

	return savedSnapshot(t, q), q
}

// savedSnapshot saves the whole queue in a Locker, as a new leader's first
// save does, and reads it back as its successor would.
func savedSnapshot(t *testing.T, q *Local) snapshot {
	t.Helper()
	ctx := context.Background()
	lock := NewMemoryLocker()
	if held, err := lock.Lock(ctx, "leader", time.Minute); !held || err != nil {
		t.Fatalf("lock: %t, %v", held, err)
	}
	var saved savedEntries
	change, err := q.stateChange(&saved, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := lock.Save(ctx, "leader", change); err != nil {
		t.Fatal(err)
	}
	state, err := lock.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, term, err := decodeState(state)
	if err != nil || term != 1 {
		t.Fatalf("decode state: term %d, %v", term, err)
	}
	return s
}

// checkSaved fails the test unless what the leader saved change by change
// is the queue as it is now, as a whole save would have it.
func checkSaved(t *testing.T, lock Locker, lead *leader) {
	t.Helper()
	ctx := context.Background()                      // also from a cleanup, after t.Context ends
	if _, err := lead.sync(ctx, false); err != nil { // what timers changed
		t.Fatalf("save: %v", err)
	}
	state, err := lock.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := decodeState(state)
	if err != nil {
		t.Fatal(err)
	}
	if want := savedSnapshot(t, lead.local); !reflect.DeepEqual(got, want) {
		t.Errorf("saved change by change:\n%+v\nthe queue now:\n%+v", got, want)
	}
}

func TestSnapshotRestore(t *testing.T) {
	clock := newFakeClock()
	s, old := savedQueue(t, clock)
	h := &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
	q := NewLocal(Config{Clock: clock, Logger: slog.New(slog.DiscardHandler)}, h.rec)
	t.Cleanup(func() { q.Close() })
	h.q = q
	if err := q.restore(s); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, q)

	for _, station := range []string{"s1", "s2", "s4"} {
		wantReq, wantPos, _ := old.Waiting(h.ctx, station)
		req, pos, ok := q.Waiting(h.ctx, station)
		if !ok || pos != wantPos || !req.EnqueuedAt.Equal(wantReq.EnqueuedAt) || req.ItemID != wantReq.ItemID {
			t.Errorf("station %s: %+v %+v after restore, want %+v %+v", station, req, pos, wantReq, wantPos)
		}
		if pushed, _ := h.lastPosition(station); pushed != wantPos {
			t.Errorf("station %s pushed %+v, want %+v", station, pushed, wantPos)
		}
	}
	for _, agent := range []string{"a1", "a2", "a3", "a4"} {
		want, _ := old.AgentState(h.ctx, agent)
		h.wantState(agent, want)
	}
	if got, want := q.Stats(h.ctx), old.Stats(h.ctx); got.Waiting != want.Waiting || got.LongestWait != want.LongestWait {
		t.Errorf("stats %+v after restore, want %+v", got, want)
	}
	old.Close() // its timers share the clock

	// Ringing offers ring again, from the start; a2, who rejected r2 while a1
	// still works, is not offered it.
	h.waitEvent(0, "offered a1 r1 ring=20s")
	h.waitEvent(0, "offered a2 r4 ring=20s")
	h.noEvent(0, "offered a2 r2")
	h.accept("a2", "r4")

	h.clock.Advance(49 * time.Second) // a3's wrap-up had 50 s left
	h.wantState("a3", WrapUp)
	h.clock.Advance(time.Second)
	h.wantState("a3", Ready)
}

func TestRestoreIntoUsedQueue(t *testing.T) {
	clock := newFakeClock()
	s, old := savedQueue(t, clock)
	if err := old.restore(s); !errors.Is(err, ErrInvalidState) {
		t.Fatalf("restore into a queue in use: %v, want ErrInvalidState", err)
	}
}

func TestRestoreRejectsBadSnapshots(t *testing.T) {
	clock := newFakeClock()
	good, _ := savedQueue(t, clock)
	cases := []struct {
		name  string
		spoil func(s *snapshot)
	}{
		{"two requests from one station", func(s *snapshot) { s.Requests[1].Request.StationID = s.Requests[0].Request.StationID }},
		{"request without id", func(s *snapshot) { s.Requests[0].Request.ID = "" }},
		{"unknown agent state", func(s *snapshot) { s.Agents[0].State = "asleep" }},
		{"agent twice", func(s *snapshot) { s.Agents[1].Agent.ID = s.Agents[0].Agent.ID }},
	}
	for _, c := range cases {
		s := good
		s.Requests = slices.Clone(good.Requests)
		s.Agents = slices.Clone(good.Agents)
		c.spoil(&s)
		q := NewLocal(Config{Clock: clock}, nil)
		if err := q.restore(s); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: restore = %v, want ErrInvalidRequest", c.name, err)
		}
		if st := q.Stats(t.Context()); st.Waiting != 0 || st.Agents[Ready] != 0 {
			t.Errorf("%s: restore changed the queue: %+v", c.name, st)
		}
		q.Close()
	}
}

func TestHandleTimesRecent(t *testing.T) {
	h := newHandleTimes(3, time.Minute)
	for _, d := range []time.Duration{1, 2} {
		h.add(d)
	}
	if got := h.recent(); !slices.Equal(got, []time.Duration{1, 2}) {
		t.Fatalf("recent = %v, want [1 2]", got)
	}
	for _, d := range []time.Duration{3, 4, 5} {
		h.add(d)
	}
	if got := h.recent(); !slices.Equal(got, []time.Duration{3, 4, 5}) {
		t.Fatalf("recent = %v, want oldest first [3 4 5]", got)
	}
}
