package queue

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"
)

func (r *recorder) TicketCalled(stationID string, req Request, answer time.Duration) {
	r.record(fmt.Sprintf("ticket_called %s %s %s answer=%s", stationID, req.ID, req.Ticket, answer))
}

func (r *recorder) TicketCallEnded(stationID string, req Request, outcome string) {
	r.record(fmt.Sprintf("ticket_ended %s %s %s", stationID, req.ID, outcome))
}

func (p *pair) AnswerTicket(ctx context.Context, stationID, requestID string) (err error) {
	p.via(ctx, func(q Queue) { err = q.AnswerTicket(ctx, stationID, requestID) })
	return err
}

func ticket(id, stationID, number string) Request {
	r := request(id, stationID, "medicare")
	r.Ticket = number
	return r
}

// TestTickets runs the station-ticket cases against every implementation.
func TestTickets(t *testing.T) {
	cases := []struct {
		name string
		run  func(h *harness)
	}{
		{name: "each ticket holds its own place", run: testTicketPlaces},
		{name: "one call at a time per station", run: testTicketOneAtATime},
		{name: "missed ticket goes back once, then lapses", run: testTicketGoesBackOnce},
		{name: "green channel still goes first", run: testTicketGreenFirst},
		{name: "held agent leaving withdraws the call", run: testTicketAgentLeaves},
		{name: "bad ticket calls change nothing", run: testTicketRules},
	}
	for _, impl := range implementations() {
		for _, c := range cases {
			t.Run(impl.name+"/"+c.name, func(t *testing.T) {
				c.run(newHarness(t, impl, Config{}))
			})
		}
	}
}

func testTicketPlaces(h *harness) {
	m := h.mark()
	h.enqueue(ticket("t1", "s1", "A001"))
	h.enqueue(request("r2", "s2", "medicare"))
	if pos := h.enqueue(ticket("t3", "s1", "A002")); pos.Position != 3 {
		h.t.Fatalf("second ticket of s1 at position %d, want 3", pos.Position)
	}
	h.waitEvent(m, "position s1 t1 #1")
	h.waitEvent(m, "position s2 r2 #2")
	h.waitEvent(m, "position s1 t3 #3")
	if st := h.q.Stats(h.ctx); st.Waiting != 3 {
		h.t.Fatalf("%d waiting, want 3", st.Waiting)
	}
}

func testTicketOneAtATime(h *harness) {
	h.enqueue(ticket("t1", "s1", "A001"))
	h.enqueue(ticket("t2", "s1", "A002"))
	h.enqueue(request("r3", "s2", "medicare"))
	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	h.waitEvent(m, "ticket_called s1 t1 A001 answer=1m0s")
	h.waitEvent(m, "offered a2 r3") // s1's second ticket waits for its station
	h.noEvent(m, "ticket_called s1 t2")
	h.noEvent(m, "offered a1 t1") // held, not rung, until the resident answers

	m = h.mark()
	h.must(h.q.AnswerTicket(h.ctx, "s1", "t1"))
	h.waitEvent(m, "ticket_ended s1 t1 answered")
	h.waitEvent(m, "offered a1 t1")
	h.accept("a1", "t1")
	h.accept("a2", "r3")
	h.must(h.q.CallEnded(h.ctx, "a2", time.Minute))
	h.must(h.q.FinishWrapUp(h.ctx, "a2"))
	h.noEvent(m, "ticket_called s1 t2") // s1 is still in its call with a1

	m = h.mark()
	h.must(h.q.CallEnded(h.ctx, "a1", time.Minute))
	h.waitEvent(m, "ticket_called s1 t2 A002")
}

func testTicketGoesBackOnce(h *harness) {
	h.enqueue(ticket("t1", "s1", "A001"))
	h.enqueue(ticket("t2", "s1", "A002"))
	h.enqueue(request("r3", "s2", "medicare"))
	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.waitEvent(m, "ticket_called s1 t1")

	m = h.mark()
	h.clock.Advance(DefaultTicketAnswer)
	h.waitEvent(m, "ticket_ended s1 t1 requeued")
	// Back behind everyone waiting: s1's next resident is called first.
	h.waitEvent(m, "ticket_called s1 t2")
	h.waitEvent(m, "position s1 t1 #3")
	if err := h.q.AnswerTicket(h.ctx, "s1", "t1"); err == nil {
		h.t.Fatal("a ticket no longer called was answered")
	}

	m = h.mark()
	h.must(h.q.AnswerTicket(h.ctx, "s1", "t2"))
	h.waitEvent(m, "offered a1 t2")
	h.accept("a1", "t2")
	h.must(h.q.CallEnded(h.ctx, "a1", time.Minute))
	h.must(h.q.FinishWrapUp(h.ctx, "a1"))
	h.waitEvent(m, "offered a1 r3")
	h.accept("a1", "r3")
	h.must(h.q.CallEnded(h.ctx, "a1", time.Minute))

	m = h.mark()
	h.must(h.q.FinishWrapUp(h.ctx, "a1"))
	h.waitEvent(m, "ticket_called s1 t1") // its second and last chance
	m = h.mark()
	h.clock.Advance(DefaultTicketAnswer)
	h.waitEvent(m, "ticket_ended s1 t1 lapsed")
	if st := h.q.Stats(h.ctx); st.Waiting != 0 {
		h.t.Fatalf("%d still waiting after the ticket lapsed, want 0", st.Waiting)
	}
	h.wantState("a1", Ready)
}

func testTicketGreenFirst(h *harness) {
	h.enqueue(ticket("t1", "s1", "A001"))
	green := request("g2", "s2", "medicare")
	green.Green, green.GreenReason = true, GreenElderly
	h.enqueue(green)
	greenTicket := ticket("t3", "s1", "G001")
	greenTicket.Green, greenTicket.GreenReason = true, GreenPregnant
	h.enqueue(greenTicket)
	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.waitEvent(m, "offered a1 g2")
	h.noEvent(m, "ticket_called")

	m = h.mark()
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	h.waitEvent(m, "ticket_called s1 t3 G001") // the station's green ticket before its older plain one
	h.noEvent(m, "ticket_called s1 t1")
}

func testTicketAgentLeaves(h *harness) {
	h.enqueue(ticket("t1", "s1", "A001"))
	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.waitEvent(m, "ticket_called s1 t1")
	m = h.mark()
	h.must(h.q.AgentOffline(h.ctx, "a1"))
	h.waitEvent(m, "ticket_ended s1 t1 withdrawn")
	h.noEvent(m, "withdrawn a1") // the agent never rang
	m = h.mark()
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	h.waitEvent(m, "ticket_called s1 t1")
}

func testTicketRules(h *harness) {
	h.enqueue(ticket("t1", "s1", "A001"))
	_, err := h.q.Enqueue(h.ctx, request("r2", "s1", "medicare"))
	h.wantErr(err, ErrDuplicate) // tickets or one plain request, not both
	h.enqueue(request("r3", "s2", "medicare"))
	_, err = h.q.Enqueue(h.ctx, ticket("t4", "s2", "A001"))
	h.wantErr(err, ErrDuplicate)
	h.wantErr(h.q.AnswerTicket(h.ctx, "s1", "t1"), ErrInvalidState) // not called yet
	h.wantErr(h.q.AnswerTicket(h.ctx, "s2", "t1"), ErrNotFound)     // another station's
	h.wantErr(h.q.AnswerTicket(h.ctx, "s2", "r3"), ErrNotFound)     // not a ticket

	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.waitEvent(m, "ticket_called s1 t1")
	h.wantErr(h.tryAccept("a1", "t1"), ErrNotOffered) // held, not rung
	h.must(h.q.Cancel(h.ctx, "s1", "t1"))
	if st := h.q.Stats(h.ctx); st.Waiting != 1 {
		h.t.Fatalf("%d waiting after cancelling the called ticket, want 1", st.Waiting)
	}
}

// TestRejoinKeepsTickets checks that after a restart every ticket of a
// station comes back with its first enqueue time, a ticket that went back
// behind the others, and that the station's call stays one at a time.
func TestRejoinKeepsTickets(t *testing.T) {
	ctx := context.Background()
	q := NewLocal(Config{}, nil)
	t.Cleanup(func() { q.Close() })
	long := time.Now().Add(-10 * time.Minute)
	first, second, back := ticket("t1", "s1", "A001"), ticket("t2", "s1", "A002"), ticket("t0", "s1", "A000")
	first.EnqueuedAt, second.EnqueuedAt = long, long.Add(time.Minute)
	back.EnqueuedAt, back.RequeuedAt = long.Add(-time.Minute), long.Add(2*time.Minute)
	agents := []AgentPresence{{Agent: Agent{ID: "a1", Generalist: true}, State: Busy, Station: "s1"}}
	if err := q.Rejoin(ctx, agents, []Request{back, second, first}); err != nil {
		t.Fatalf("rejoin: %v", err)
	}
	q.mu.Lock()
	var got []string
	for _, w := range q.waiting {
		got = append(got, w.req.ID+"@"+w.req.EnqueuedAt.Format(time.TimeOnly))
	}
	engaged := q.engagedStations()["s1"]
	q.mu.Unlock()
	want := []string{
		"t1@" + long.Format(time.TimeOnly), "t2@" + long.Add(time.Minute).Format(time.TimeOnly),
		"t0@" + long.Add(-time.Minute).Format(time.TimeOnly),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejoined tickets %v, want %v", got, want)
	}
	if !engaged {
		t.Error("station in a call with a rejoined busy agent is free for its next ticket")
	}
	checkInvariants(t, q)
}

// TestSnapshotKeepsTickets checks that a new cluster leader goes on with the
// tickets as they were: a called ticket is called again, an answered one
// rings without a new call-out, and a station in a call keeps its next
// ticket waiting.
func TestSnapshotKeepsTickets(t *testing.T) {
	clock := newFakeClock()
	old := &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
	oq := NewLocal(Config{Clock: clock, Logger: slog.New(slog.DiscardHandler)}, old.rec)
	t.Cleanup(func() { oq.Close() })
	old.q = oq
	old.enqueue(request("r0", "s3", "medicare"))
	old.readyAgent(Agent{ID: "a3", Generalist: true})
	old.accept("a3", "r0") // s3 is in a call
	old.enqueue(ticket("t1", "s1", "A001"))
	old.enqueue(ticket("t2", "s2", "A001"))
	old.enqueue(ticket("t3", "s3", "A001"))
	old.enqueue(ticket("t4", "s1", "A002"))
	old.readyAgent(Agent{ID: "a1", Generalist: true}) // holds t1
	old.readyAgent(Agent{ID: "a2", Generalist: true}) // holds t2
	old.must(oq.AnswerTicket(old.ctx, "s2", "t2"))    // rings at a2
	s := savedSnapshot(t, oq)
	oq.Close()

	h := &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
	q := NewLocal(Config{Clock: clock, Logger: slog.New(slog.DiscardHandler)}, h.rec)
	t.Cleanup(func() { q.Close() })
	h.q = q
	if err := q.restore(s); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, q)
	h.waitEvent(0, "ticket_called s1 t1")
	h.waitEvent(0, "offered a2 t2")
	h.noEvent(0, "ticket_called s2 t2")
	h.noEvent(0, "ticket_called s3") // s3 is still in its call with a3
	h.noEvent(0, "ticket_called s1 t4")
	h.accept("a2", "t2")
	m := h.mark()
	h.must(q.CallEnded(h.ctx, "a3", time.Minute))
	h.must(q.FinishWrapUp(h.ctx, "a3"))
	h.waitEvent(m, "ticket_called s3 t3")
}
