package queue

import (
	"context"
	"testing"
	"time"
)

// TestRejoinRestoresLostPlaces checks that a queue restarted empty gets
// back its agents in their states and its waiting stations in the order
// they first came, ahead of a station that enqueued after the restart, and
// that what the queue already knows is kept.
func TestRejoinRestoresLostPlaces(t *testing.T) {
	ctx := context.Background()
	q := NewLocal(Config{}, nil)
	t.Cleanup(func() { q.Close() })
	if err := q.AgentOnline(ctx, Agent{ID: "known", Generalist: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, Request{ID: "r-new", StationID: "s-new", SkillGroup: "none"}); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-10 * time.Minute)
	agents := []AgentPresence{
		{Agent: Agent{ID: "known"}, State: Busy},
		{Agent: Agent{ID: "busy"}, State: Busy},
		{Agent: Agent{ID: "away"}, State: NotReady},
	}
	requests := []Request{
		{ID: "r-second", StationID: "s-second", SkillGroup: "none", EnqueuedAt: long.Add(time.Minute)},
		{ID: "r-first", StationID: "s-first", SkillGroup: "none", EnqueuedAt: long},
		{ID: "r-dup", StationID: "s-new", SkillGroup: "none", EnqueuedAt: long},
	}
	if err := q.Rejoin(ctx, agents, requests); err != nil {
		t.Fatalf("rejoin: %v", err)
	}
	for id, want := range map[string]AgentState{"known": NotReady, "busy": Busy, "away": NotReady} {
		if got, err := q.AgentState(ctx, id); err != nil || got != want {
			t.Errorf("agent %s is %s (%v), want %s", id, got, err, want)
		}
	}
	for station, want := range map[string]struct {
		id  string
		pos int
	}{"s-first": {"r-first", 1}, "s-second": {"r-second", 2}, "s-new": {"r-new", 3}} {
		req, pos, ok := q.Waiting(ctx, station)
		if !ok || req.ID != want.id || pos.Position != want.pos {
			t.Errorf("station %s waits with %s at %d (%t), want %s at %d", station, req.ID, pos.Position, ok, want.id, want.pos)
		}
	}
	if req, _, _ := q.Waiting(ctx, "s-first"); !req.EnqueuedAt.Equal(long) {
		t.Errorf("rejoined request enqueued at %v, want %v", req.EnqueuedAt, long)
	}
	if err := q.Rejoin(ctx, []AgentPresence{{Agent: Agent{ID: "x"}, State: "asleep"}}, nil); err == nil {
		t.Errorf("rejoin accepted an unknown agent state")
	}
	checkInvariants(t, q)
}

// TestRejoinKeepsAcceptedRequestsOut: a node tells the queue of its
// station's tickets while one of them is being put through to an agent
// (the queue took it; the node has not heard yet). The ticket must not
// come back: the kiosk would call its number again after the call.
func TestRejoinKeepsAcceptedRequestsOut(t *testing.T) {
	ctx := context.Background()
	q := NewLocal(Config{}, nil)
	t.Cleanup(func() { q.Close() })
	if err := q.AgentOnline(ctx, Agent{ID: "a", Generalist: true}); err != nil {
		t.Fatal(err)
	}
	first := Request{ID: "r1", StationID: "s", SkillGroup: "none", Ticket: "A001"}
	second := Request{ID: "r2", StationID: "s", SkillGroup: "none", Ticket: "A002"}
	for _, r := range []Request{first, second} {
		if _, err := q.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.SetReady(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	if err := q.AnswerTicket(ctx, "s", "r1"); err != nil {
		t.Fatalf("answer A001: %v", err)
	}
	if _, err := q.Accept(ctx, "a", "r1"); err != nil {
		t.Fatalf("accept A001: %v", err)
	}
	if err := q.Rejoin(ctx, []AgentPresence{{Agent: Agent{ID: "a"}, State: Busy, Station: "s"}}, []Request{first, second}); err != nil {
		t.Fatal(err)
	}
	if st := q.Stats(ctx); st.Waiting != 1 {
		t.Fatalf("%d waiting after the rejoin, want 1 (A002)", st.Waiting)
	}
	checkInvariants(t, q)
}
