package queue

import (
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// TestSaveWritesOnlyWhatChanged: with 1,000 requests waiting, a change
// saves the entries it touched and nothing else.
func TestSaveWritesOnlyWhatChanged(t *testing.T) {
	clock := newFakeClock()
	h := &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
	q := NewLocal(Config{Clock: clock, Logger: slog.New(slog.DiscardHandler)}, h.rec)
	t.Cleanup(func() { q.Close() })
	h.q = q
	fillQueue(h, 1000)
	h.must(q.AgentOnline(h.ctx, Agent{ID: "a1", Skills: []string{"g5"}}))
	var saved savedEntries
	first := saveChange(t, q, &saved)
	if want := "reset meta requests=1000 removed=0 agents=1 removed=0"; first != want {
		t.Fatalf("first save: %s, want %s", first, want)
	}
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"nothing changed", func() { q.Stats(h.ctx) }, "requests=0 removed=0 agents=0 removed=0"},
		{"a station joins", func() { h.enqueue(request("extra", "s-extra", "g1")) }, "meta requests=1 removed=0 agents=0 removed=0"},
		{"it leaves", func() { h.must(q.Cancel(h.ctx, "s-extra", "extra")) }, "requests=0 removed=1 agents=0 removed=0"},
		{"an agent turns ready and is offered a request", func() { h.must(q.SetReady(h.ctx, "a1", true)) }, "meta requests=1 removed=0 agents=1 removed=0"},
		// Nobody else serves g5, so it rings again at a1.
		{"the agent declines it", func() { h.must(q.Reject(h.ctx, "a1", "r0005")) }, "requests=1 removed=0 agents=0 removed=0"},
		{"the agent takes it", func() { h.accept("a1", "r0005") }, "requests=0 removed=1 agents=1 removed=0"},
		{"the call ends", func() { h.must(q.CallEnded(h.ctx, "a1", time.Minute)) }, "meta requests=0 removed=0 agents=1 removed=0"},
		{"time passes", func() { clock.Advance(time.Second) }, "requests=0 removed=0 agents=0 removed=0"},
	}
	for _, s := range steps {
		s.change()
		if got := saveChange(t, q, &saved); got != s.want {
			t.Errorf("%s: saved %s, want %s", s.name, got, s.want)
		}
	}
}

// saveChange describes the next change q would save.
func saveChange(t *testing.T, q *Local, saved *savedEntries) string {
	t.Helper()
	c, err := q.stateChange(saved, 1)
	if err != nil {
		t.Fatal(err)
	}
	s := fmt.Sprintf("requests=%d removed=%d agents=%d removed=%d", len(c.Requests), len(c.RemovedRequests), len(c.Agents), len(c.RemovedAgents))
	if c.Meta != nil {
		s = "meta " + s
	}
	if c.Reset {
		s = "reset " + s
	}
	return s
}
