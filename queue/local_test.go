package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// checkInvariants verifies the local queue's bookkeeping agrees with itself.
func checkInvariants(t *testing.T, q *Local) {
	t.Helper()
	q.mu.Lock()
	defer q.mu.Unlock()
	tickets := 0
	for _, n := range q.tickets {
		tickets += n
	}
	running := 0 // requests of running calls hold no station's place
	for _, w := range q.waiting {
		if w.req.Ticket == "" && w.req.forRunningCall() {
			running++
		}
	}
	if len(q.byID) != len(q.waiting) || len(q.byStation)+tickets+running != len(q.waiting) {
		t.Errorf("indexes out of step: %d by id, %d by station, %d tickets, %d waiting", len(q.byID), len(q.byStation), tickets, len(q.waiting))
	}
	for i, w := range q.waiting {
		if i > 0 && q.waiting[i-1].seq >= w.seq {
			t.Errorf("waiting list out of enqueue order at %d", i)
		}
		if w.offeredTo == "" {
			continue
		}
		if a := q.agents[w.offeredTo]; a == nil || a.offer == nil || a.offer.requestID != w.req.ID {
			t.Errorf("request %s rings at %s, who does not know it", w.req.ID, w.offeredTo)
		}
	}
	for id, a := range q.agents {
		if a.offer == nil {
			continue
		}
		if w := q.byID[a.offer.requestID]; w == nil || w.offeredTo != id || a.state != Ready {
			t.Errorf("agent %s (%s) rings with %s, which is not offered to them", id, a.state, a.offer.requestID)
		}
	}
}

// autoAnswer accepts every offer from inside the listener callback.
type autoAnswer struct {
	*recorder
	q *Local
}

func (l *autoAnswer) Offered(agentID string, req Request, ring time.Duration) {
	l.recorder.Offered(agentID, req, ring)
	if _, err := l.q.Accept(context.Background(), agentID, req.ID); err != nil {
		l.record("accept failed: " + err.Error())
	}
}

// TestListenerMayCallBack checks that a listener calling into the queue
// neither deadlocks nor sees events out of order: the wallboard must end up
// showing the accepted request gone.
func TestListenerMayCallBack(t *testing.T) {
	l := &autoAnswer{recorder: newRecorder()}
	q := NewLocal(Config{Clock: newFakeClock()}, l)
	l.q = q
	t.Cleanup(func() { q.Close() })
	ctx := t.Context()

	if err := q.AgentOnline(ctx, Agent{ID: "a1", Generalist: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, request("r1", "s1", "medicare")); err != nil {
		t.Fatal(err)
	}
	m := len(l.log)
	if err := q.SetReady(ctx, "a1", true); err != nil {
		t.Fatal(err)
	}
	want := []string{"state a1 ready", "offered a1 r1 ring=20s", "stats waiting=1 green=0", "state a1 busy", "stats waiting=0 green=0"}
	if got := l.log[m:]; !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if state, _ := q.AgentState(ctx, "a1"); state != Busy {
		t.Fatalf("agent state = %s, want busy after accepting from the listener", state)
	}
	checkInvariants(t, q)
}

// stateTracker fails the test when an agent's states arrive in an order the
// queue cannot produce, or an offer reaches an agent who is not ready: what a
// console would show if events were delivered out of order.
type stateTracker struct {
	nopListener
	t      *testing.T
	mu     sync.Mutex
	last   map[string]AgentState
	offers map[string]chan string // by agent; filled before use, then only read
}

func newStateTracker(t *testing.T, agents []string) *stateTracker {
	st := &stateTracker{t: t, last: map[string]AgentState{}, offers: map[string]chan string{}}
	for _, a := range agents {
		st.offers[a] = make(chan string, 64)
	}
	return st
}

func legalMove(from, to AgentState) bool {
	next := map[AgentState][]AgentState{
		Offline:  {NotReady},
		NotReady: {Ready, Offline},
		Ready:    {NotReady, Busy, Offline},
		Busy:     {WrapUp, Offline},
		WrapUp:   {Ready, NotReady, Offline},
	}
	return slices.Contains(next[from], to)
}

func (st *stateTracker) AgentStateChanged(agentID string, state AgentState) {
	st.mu.Lock()
	defer st.mu.Unlock()
	from, ok := st.last[agentID]
	if !ok {
		from = Offline
	}
	if !legalMove(from, state) {
		st.t.Errorf("agent %s told %s after %s", agentID, state, from)
	}
	st.last[agentID] = state
}

func (st *stateTracker) Offered(agentID string, req Request, _ time.Duration) {
	st.mu.Lock()
	state := st.last[agentID]
	st.mu.Unlock()
	if state != Ready {
		st.t.Errorf("agent %s offered %s while %s", agentID, req.ID, state)
	}
	select {
	case st.offers[agentID] <- req.ID:
	default: // the agent is not keeping up; the offer will time out
	}
}

func TestConcurrentUse(t *testing.T) {
	agents := []string{"a0", "a1", "a2", "a3"}
	clock := newFakeClock()
	tracker := newStateTracker(t, agents)
	q := NewLocal(Config{Clock: clock}, tracker)
	t.Cleanup(func() { q.Close() })
	ctx := t.Context()

	var wg sync.WaitGroup
	for s := range 8 {
		wg.Go(func() { runStation(ctx, t, q, fmt.Sprintf("s%d", s)) })
	}
	for _, a := range agents {
		wg.Go(func() { runAgent(ctx, t, q, a, tracker.offers[a]) })
	}
	wg.Go(func() {
		for range 50 {
			clock.Advance(5 * time.Second)
		}
	})
	wg.Wait()

	checkInvariants(t, q)
	total := 0
	for _, n := range q.Stats(ctx).Agents {
		total += n
	}
	if total != len(agents) {
		t.Fatalf("agents by state add up to %d, want %d", total, len(agents))
	}
}

func runStation(ctx context.Context, t *testing.T, q *Local, station string) {
	for i := range 40 {
		r := request(fmt.Sprintf("%s-r%d", station, i), station, "medicare")
		r.Green = i%5 == 0
		_, err := q.Enqueue(ctx, r)
		if err != nil && !errors.Is(err, ErrDuplicate) {
			t.Errorf("enqueue %s: %v", r.ID, err)
		}
		if i%3 == 0 {
			if err := q.Cancel(ctx, station, r.ID); err != nil && !errors.Is(err, ErrNotFound) {
				t.Errorf("cancel %s: %v", r.ID, err)
			}
		}
	}
}

// runAgent works like a console: answers offers, sometimes rejects, takes
// breaks and drops off. Errors from races with timeouts are expected.
func runAgent(ctx context.Context, t *testing.T, q *Local, agentID string, offers <-chan string) {
	if err := q.AgentOnline(ctx, Agent{ID: agentID, Skills: []string{"medicare"}}); err != nil {
		t.Errorf("online %s: %v", agentID, err)
		return
	}
	for i := range 60 {
		_ = q.SetReady(ctx, agentID, true)
		select {
		case id := <-offers:
			answer(ctx, q, agentID, id, i)
		default:
		}
		switch i % 20 {
		case 9:
			_ = q.SetReady(ctx, agentID, false)
		case 19:
			_ = q.AgentOffline(ctx, agentID)
			_ = q.AgentOnline(ctx, Agent{ID: agentID, Skills: []string{"medicare"}})
		}
	}
}

func answer(ctx context.Context, q *Local, agentID, requestID string, i int) {
	if i%4 == 0 {
		_ = q.Reject(ctx, agentID, requestID)
		return
	}
	if _, err := q.Accept(ctx, agentID, requestID); err != nil {
		return
	}
	_ = q.CallEnded(ctx, agentID, time.Duration(i)*time.Second)
	if i%2 == 0 {
		_ = q.FinishWrapUp(ctx, agentID)
	}
}

func TestClose(t *testing.T) {
	clock := newFakeClock()
	rec := newRecorder()
	q := NewLocal(Config{Clock: clock}, rec)
	ctx := t.Context()
	if err := q.AgentOnline(ctx, Agent{ID: "a1", Generalist: true}); err != nil {
		t.Fatal(err)
	}
	if err := q.SetReady(ctx, "a1", true); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(ctx, request("r1", "s1", "medicare")); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if n := clock.pending(); n != 0 {
		t.Fatalf("%d timers still pending after close", n)
	}
	if _, err := q.Enqueue(ctx, request("r2", "s2", "medicare")); !errors.Is(err, ErrClosed) {
		t.Fatalf("enqueue after close: %v, want ErrClosed", err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestEstimateWait(t *testing.T) {
	cases := []struct {
		position, servers int
		average, want     time.Duration
	}{
		{1, 1, 5 * time.Minute, 5 * time.Minute},
		{3, 1, 5 * time.Minute, 15 * time.Minute},
		{3, 2, 5 * time.Minute, 7*time.Minute + 30*time.Second},
		{1, 0, 4 * time.Minute, 4 * time.Minute}, // nobody working counts as one
		{2, 3, 100 * time.Second, 67 * time.Second},
	}
	for _, c := range cases {
		if got := estimateWait(c.position, c.servers, c.average); got != c.want {
			t.Errorf("estimateWait(%d, %d, %s) = %s, want %s", c.position, c.servers, c.average, got, c.want)
		}
	}
}

func TestHandleTimesAverage(t *testing.T) {
	cases := []struct {
		name  string
		calls []time.Duration
		want  time.Duration
	}{
		{"no calls yet", nil, 5 * time.Minute},
		{"one call", []time.Duration{2 * time.Minute}, 2 * time.Minute},
		{"ignores empty durations", []time.Duration{2 * time.Minute, 0, -time.Second}, 2 * time.Minute},
		{"partly filled", []time.Duration{time.Minute, 3 * time.Minute}, 2 * time.Minute},
		{"only the last three", []time.Duration{time.Hour, time.Minute, 2 * time.Minute, 3 * time.Minute}, 2 * time.Minute},
	}
	for _, c := range cases {
		h := newHandleTimes(3, 5*time.Minute)
		for _, d := range c.calls {
			h.add(d)
		}
		if got := h.average(); got != c.want {
			t.Errorf("%s: average = %s, want %s", c.name, got, c.want)
		}
	}
}
