package queue

import (
	"testing"
	"time"
)

// TestQueueBehaviour runs every behaviour case against every implementation.
func TestQueueBehaviour(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		run  func(h *harness)
	}{
		{name: "green channel goes first", run: testGreenFirst},
		{name: "a transferred call goes before the green channel", run: testTransferFirst},
		{name: "due appointment before plain FIFO", run: testDueAppointment},
		{name: "FIFO within a class", run: testFIFOWithinClass},
		{name: "skill match beats generalist", run: testSkillBeatsGeneralist},
		{name: "generalist takes what no skilled agent is ready for", run: testGeneralistFallback},
		{name: "unservable request does not block the line", run: testHeadOfLine},
		{name: "longest-idle agent gets the offer", run: testLongestIdle},
		{name: "ring timeout re-offers and marks the silent agent away", run: testRingTimeout},
		{name: "ring timeout is configurable", cfg: Config{RingTimeout: 5 * time.Second}, run: testRingTimeoutConfigured},
		{name: "reject re-offers to another agent", run: testReject},
		{name: "rejected request waits for a busy colleague", run: testRejectWaitsForColleague},
		{name: "cancel removes the request and withdraws the offer", run: testCancel},
		{name: "only the offered agent may accept", run: testOnlyOfferedAccepts},
		{name: "station cannot cancel another station's request", run: testCancelOtherStation},
		{name: "wrap-up ends by timeout or by the agent", run: testWrapUp},
		{name: "position and estimate pushed to the right station", run: testPositionUpdates},
		{name: "agent going offline while offered re-offers", run: testAgentOffline},
		{name: "agent going not ready while offered re-offers", run: testNotReadyWhileOffered},
		{name: "bad requests change nothing", run: testBadRequests},
		{name: "agent state rules", run: testAgentStateRules},
		{name: "wallboard stats", run: testStats},
		{name: "can serve: skilled or generalist agents online", run: testCanServe},
		{name: "a transfer to a named agent rings that agent only", run: testToNamedAgent},
	}
	for _, impl := range implementations() {
		for _, c := range cases {
			t.Run(impl.name+"/"+c.name, func(t *testing.T) {
				c.run(newHarness(t, impl, c.cfg))
			})
		}
	}
}

func testGreenFirst(h *harness) {
	h.enqueue(request("r1", "s1", "medicare"))
	h.enqueue(request("r2", "s2", "medicare"))
	green := request("r3", "s3", "medicare")
	green.Green, green.GreenReason = true, GreenElderly
	if pos := h.enqueue(green); pos.Position != 1 {
		h.t.Fatalf("green request enqueued at position %d, want 1", pos.Position)
	}
	h.wantPosition("s1", 2)
	h.wantPosition("s2", 3)

	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.waitEvent(m, "offered a1 r3")
	h.noEvent(m, "offered a1 r1")
}

func testTransferFirst(h *harness) {
	green := request("r1", "s1", "medicare")
	green.Green, green.GreenReason = true, GreenElderly
	h.enqueue(green)
	moved := request("r2", "s2", "medicare")
	moved.Transfer = true
	if pos := h.enqueue(moved); pos.Position != 1 {
		h.t.Fatalf("transferred call enqueued at position %d, want 1", pos.Position)
	}
	h.wantPosition("s1", 2)
	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.waitEvent(m, "offered a1 r2")
	if got := h.accept("a1", "r2"); !got.Transfer {
		h.t.Error("the accepted request lost its transfer mark")
	}
}

func testDueAppointment(h *harness) {
	now := h.clock.Now()
	appointment := func(id, station string, at time.Time) Request {
		r := request(id, station, "pension")
		r.AppointmentID, r.AppointmentAt = "ap-"+id, at
		return r
	}
	h.enqueue(request("r1", "s1", "pension"))
	h.enqueue(appointment("r2", "s2", now.Add(10*time.Minute)))
	h.enqueue(appointment("r3", "s3", now.Add(-time.Minute)))
	h.enqueue(appointment("r4", "s4", now.Add(5*time.Minute)))
	h.wantPosition("s3", 1) // due appointment
	h.wantPosition("s1", 2) // plain, first come
	h.wantPosition("s2", 3) // appointments not yet due wait like plain requests
	h.wantPosition("s4", 4)

	m := h.mark()
	h.clock.Advance(5 * time.Minute)
	h.waitEvent(m, "position s4 r4 #2")
	h.waitEvent(m, "position s1 r1 #3")
	h.waitEvent(m, "position s2 r2 #4")

	m = h.mark()
	h.clock.Advance(5 * time.Minute)
	h.waitEvent(m, "position s2 r2 #3") // behind r4, which fell due earlier
	h.waitEvent(m, "position s1 r1 #4")
	h.wantPosition("s3", 1)
	h.wantPosition("s4", 2)

	m = h.mark()
	h.readyAgent(Agent{ID: "a1", Skills: []string{"pension"}})
	h.waitEvent(m, "offered a1 r3")
}

func testFIFOWithinClass(h *harness) {
	for _, id := range []string{"1", "2", "3"} {
		h.enqueue(request("r"+id, "s"+id, "medicare"))
	}
	for _, id := range []string{"4", "5"} {
		r := request("r"+id, "s"+id, "medicare")
		r.Green, r.GreenReason = true, GreenDisabled
		h.enqueue(r)
	}
	for station, want := range map[string]int{"s4": 1, "s5": 2, "s1": 3, "s2": 4, "s3": 5} {
		h.wantPosition(station, want)
	}

	m := h.mark()
	h.readyAgent(Agent{ID: "a1", Skills: []string{"medicare"}})
	for _, id := range []string{"r4", "r5", "r1", "r2", "r3"} {
		h.waitEvent(m, "offered a1 "+id)
		h.accept("a1", id)
		m = h.mark()
		h.must(h.q.CallEnded(h.ctx, "a1", time.Minute))
		h.must(h.q.FinishWrapUp(h.ctx, "a1"))
	}
}

func testSkillBeatsGeneralist(h *harness) {
	h.readyAgent(Agent{ID: "gen", Generalist: true}) // idle longest
	h.readyAgent(Agent{ID: "skilled", Skills: []string{"pension", "medicare"}})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered skilled r1")
	h.noEvent(m, "offered gen")
}

func testGeneralistFallback(h *harness) {
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "skilled", Skills: []string{"medicare"}})) // not ready
	h.readyAgent(Agent{ID: "other", Skills: []string{"pension"}})
	h.readyAgent(Agent{ID: "gen", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered gen r1")
	h.noEvent(m, "offered other")
}

func testHeadOfLine(h *harness) {
	h.readyAgent(Agent{ID: "a1", Skills: []string{"pension"}})
	m := h.mark()
	h.enqueue(request("r1", "s1", "disability")) // nobody ready can serve it
	h.enqueue(request("r2", "s2", "pension"))
	h.waitEvent(m, "offered a1 r2")
	h.wantPosition("s1", 1)
}

func testLongestIdle(h *harness) {
	skills := []string{"medicare"}
	h.readyAgent(Agent{ID: "a1", Skills: skills})
	h.readyAgent(Agent{ID: "a2", Skills: skills})
	h.readyAgent(Agent{ID: "a3", Skills: skills})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	h.accept("a1", "r1")
	h.must(h.q.CallEnded(h.ctx, "a1", time.Minute))
	h.must(h.q.FinishWrapUp(h.ctx, "a1")) // a1 is ready again, but idle the shortest

	m = h.mark()
	h.enqueue(request("r2", "s2", "medicare"))
	h.waitEvent(m, "offered a2 r2")
	h.enqueue(request("r3", "s3", "medicare"))
	h.waitEvent(m, "offered a3 r3")
	h.enqueue(request("r4", "s4", "medicare"))
	h.waitEvent(m, "offered a1 r4")
}

func testRingTimeout(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1 ring=20s")

	h.clock.Advance(19 * time.Second)
	h.noEvent(m, "withdrawn")
	h.clock.Advance(time.Second)
	h.waitEvent(m, "withdrawn a1 r1 timeout")
	h.waitEvent(m, "offered a2 r1")
	h.wantState("a1", NotReady)
	h.wantErr(h.tryAccept("a1", "r1"), ErrNotOffered)
	h.accept("a2", "r1")
}

func testRingTimeoutConfigured(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1 ring=5s")
	h.clock.Advance(5 * time.Second)
	h.waitEvent(m, "withdrawn a1 r1 timeout")
	h.wantState("a1", NotReady)
	h.wantPosition("s1", 1) // still waiting, nobody left to ring
}

func testReject(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	m = h.mark()
	h.must(h.q.Reject(h.ctx, "a1", "r1"))
	h.waitEvent(m, "offered a2 r1")
	h.noEvent(m, "offered a1")
	h.wantState("a1", Ready)

	// Everyone has rejected it and nobody else works: back to the longest idle.
	m = h.mark()
	h.must(h.q.Reject(h.ctx, "a2", "r1"))
	h.waitEvent(m, "offered a1 r1")
	h.wantErr(h.q.Reject(h.ctx, "a2", "r1"), ErrNotOffered)
}

func testRejectWaitsForColleague(h *harness) {
	h.readyAgent(Agent{ID: "busy", Skills: []string{"medicare"}})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered busy r1")
	h.accept("busy", "r1")
	h.readyAgent(Agent{ID: "a1", Generalist: true})

	m = h.mark()
	h.enqueue(request("r2", "s2", "medicare"))
	h.waitEvent(m, "offered a1 r2")
	m = h.mark()
	h.must(h.q.Reject(h.ctx, "a1", "r2"))
	h.noEvent(m, "offered a1 r2")
	h.wantPosition("s2", 1)

	h.must(h.q.CallEnded(h.ctx, "busy", 4*time.Minute))
	h.must(h.q.FinishWrapUp(h.ctx, "busy"))
	h.waitEvent(m, "offered busy r2")
}

func testCancel(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	h.enqueue(request("r2", "s2", "medicare"))
	h.wantPosition("s2", 2)

	m = h.mark()
	h.must(h.q.Cancel(h.ctx, "s1", "r1"))
	h.waitEvent(m, "withdrawn a1 r1 cancelled")
	h.wantNotWaiting("s1")
	h.wantErr(h.tryAccept("a1", "r1"), ErrNotFound)
	h.waitEvent(m, "offered a1 r2") // the agent is free for the next one
	h.waitEvent(m, "position s2 r2 #1")
	h.wantErr(h.q.Cancel(h.ctx, "s1", "r1"), ErrNotFound)

	// A station may enqueue again once its request is gone.
	h.enqueue(request("r3", "s1", "medicare"))
	h.must(h.q.Cancel(h.ctx, "s1", "r3"))
	h.wantNotWaiting("s1")
}

func testOnlyOfferedAccepts(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	m := h.mark()
	r := request("r1", "s1", "medicare")
	r.ItemName = "医保报销"
	h.enqueue(r)
	h.waitEvent(m, "offered a1 r1")

	h.wantErr(h.tryAccept("a2", "r1"), ErrNotOffered)
	h.wantErr(h.tryAccept("nobody", "r1"), ErrNotOffered)
	h.wantPosition("s1", 1)
	got := h.accept("a1", "r1")
	if got.ID != "r1" || got.StationID != "s1" || got.ItemName != "医保报销" || got.EnqueuedAt.IsZero() {
		h.t.Fatalf("accepted request = %+v", got)
	}
	h.wantState("a1", Busy)
	h.wantNotWaiting("s1")
	h.wantErr(h.tryAccept("a1", "r1"), ErrNotFound)
}

func testCancelOtherStation(h *harness) {
	h.enqueue(request("r1", "s1", "medicare"))
	h.wantErr(h.q.Cancel(h.ctx, "s2", "r1"), ErrNotFound)
	h.wantPosition("s1", 1)
}

func testWrapUp(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	h.accept("a1", "r1")
	h.enqueue(request("r2", "s2", "medicare"))
	h.must(h.q.CallEnded(h.ctx, "a1", 3*time.Minute))
	h.wantState("a1", WrapUp)

	m = h.mark()
	h.clock.Advance(59 * time.Second)
	h.wantState("a1", WrapUp)
	h.clock.Advance(time.Second)
	h.wantState("a1", Ready)
	h.waitEvent(m, "offered a1 r2")

	h.accept("a1", "r2")
	h.must(h.q.CallEnded(h.ctx, "a1", 3*time.Minute))
	h.must(h.q.FinishWrapUp(h.ctx, "a1"))
	h.wantState("a1", Ready)
	h.clock.Advance(time.Minute) // the old timer must not disturb a ready agent
	h.wantState("a1", Ready)
	h.wantErr(h.q.FinishWrapUp(h.ctx, "a1"), ErrInvalidState)
}

func testPositionUpdates(h *harness) {
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a1", Generalist: true}))
	m := h.mark()
	for _, id := range []string{"1", "2", "3"} {
		h.enqueue(request("r"+id, "s"+id, "medicare"))
	}
	// Nobody working yet: estimated as if one agent were, 5 min per call.
	// (A cluster node may still be delivering them as the calls return.)
	h.waitEvent(m, "position s1 r1 #1 wait=5m0s")
	h.waitEvent(m, "position s2 r2 #2 wait=10m0s")
	h.waitEvent(m, "position s3 r3 #3 wait=15m0s")

	m = h.mark()
	h.must(h.q.SetReady(h.ctx, "a1", true))
	h.waitEvent(m, "offered a1 r1")
	h.accept("a1", "r1")
	h.waitEvent(m, "position s2 r2 #1 wait=5m0s")
	h.waitEvent(m, "position s3 r3 #2 wait=10m0s")
	h.noEvent(m, "position s1")

	// Shorter calls and a second agent shorten the wait.
	m = h.mark()
	h.must(h.q.CallEnded(h.ctx, "a1", 3*time.Minute))
	h.waitEvent(m, "position s2 r2 #1 wait=3m0s")
	h.waitEvent(m, "position s3 r3 #2 wait=6m0s")
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a2", Generalist: true}))
	h.must(h.q.SetReady(h.ctx, "a2", true))
	h.waitEvent(m, "position s3 r3 #2 wait=3m0s")
}

func testAgentOffline(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	m = h.mark()
	h.must(h.q.AgentOffline(h.ctx, "a1"))
	h.waitEvent(m, "withdrawn a1 r1 agent_offline")
	h.waitEvent(m, "offered a2 r1")
	h.wantState("a1", Offline)

	// Back online, an agent starts not ready.
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a1", Generalist: true}))
	h.wantState("a1", NotReady)
}

func testNotReadyWhileOffered(h *harness) {
	h.readyAgent(Agent{ID: "a1", Generalist: true})
	h.readyAgent(Agent{ID: "a2", Generalist: true})
	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	m = h.mark()
	h.must(h.q.SetReady(h.ctx, "a1", false))
	h.waitEvent(m, "withdrawn a1 r1 agent_not_ready")
	h.waitEvent(m, "offered a2 r1")
}

func testBadRequests(h *harness) {
	h.enqueue(request("r1", "s1", "medicare"))
	bad := []struct {
		name string
		req  Request
		want error
	}{
		{"station already waits", request("r2", "s1", "medicare"), ErrDuplicate},
		{"request id in use", request("r1", "s2", "medicare"), ErrDuplicate},
		{"no id", request("", "s3", "medicare"), ErrInvalidRequest},
		{"no station", request("r4", "", "medicare"), ErrInvalidRequest},
		{"reason without green", Request{ID: "r5", StationID: "s5", GreenReason: GreenPregnant}, ErrInvalidRequest},
		{"unknown reason", Request{ID: "r6", StationID: "s6", Green: true, GreenReason: "vip"}, ErrInvalidRequest},
	}
	for _, b := range bad {
		_, err := h.q.Enqueue(h.ctx, b.req)
		h.wantErr(err, b.want)
	}
	if s := h.q.Stats(h.ctx); s.Waiting != 1 {
		h.t.Fatalf("waiting = %d after bad requests, want 1", s.Waiting)
	}
	h.wantPosition("s1", 1)
}

func testAgentStateRules(h *harness) {
	_, err := h.q.AgentState(h.ctx, "ghost")
	h.wantErr(err, ErrNotFound)
	h.wantErr(h.q.SetReady(h.ctx, "ghost", true), ErrNotFound)
	h.wantErr(h.q.AgentOnline(h.ctx, Agent{}), ErrInvalidRequest)

	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a1", Generalist: true}))
	h.wantState("a1", NotReady)
	h.wantErr(h.q.CallEnded(h.ctx, "a1", time.Minute), ErrInvalidState)
	h.readyAgent(Agent{ID: "a1", Generalist: true}) // second console tab: stays ready
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a1", Generalist: true}))
	h.wantState("a1", Ready)

	m := h.mark()
	h.enqueue(request("r1", "s1", "medicare"))
	h.waitEvent(m, "offered a1 r1")
	h.accept("a1", "r1")
	h.wantErr(h.q.SetReady(h.ctx, "a1", true), ErrInvalidState)
	h.wantErr(h.q.SetReady(h.ctx, "a1", false), ErrInvalidState)
	h.must(h.q.CallEnded(h.ctx, "a1", time.Minute))
	h.must(h.q.SetReady(h.ctx, "a1", false)) // from wrap-up straight to a break
	h.wantState("a1", NotReady)
	h.clock.Advance(2 * time.Minute)
	h.wantState("a1", NotReady)
}

func testStats(h *harness) {
	h.readyAgent(Agent{ID: "a1", Skills: []string{"pension"}})
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a2"}))
	h.readyAgent(Agent{ID: "a3", Generalist: true})
	h.must(h.q.AgentOffline(h.ctx, "a3"))
	h.enqueue(request("r1", "s1", "medicare"))
	h.clock.Advance(90 * time.Second)
	green := request("r2", "s2", "medicare")
	green.Green, green.GreenReason = true, GreenPregnant
	h.enqueue(green)
	h.clock.Advance(30 * time.Second)

	s := h.q.Stats(h.ctx)
	if s.Waiting != 2 || s.GreenWaiting != 1 || s.LongestWait != 2*time.Minute {
		h.t.Fatalf("stats = %+v, want 2 waiting, 1 green, longest 2m", s)
	}
	want := map[AgentState]int{Ready: 1, NotReady: 1, Offline: 1, Busy: 0, WrapUp: 0}
	for state, n := range want {
		if s.Agents[state] != n {
			h.t.Fatalf("agents %s = %d, want %d (stats %+v)", state, s.Agents[state], n, s)
		}
	}
	h.waitEvent(0, "stats waiting=2 green=1") // a cluster node hears it asynchronously
	h.rec.mu.Lock()
	pushed := h.rec.stats
	h.rec.mu.Unlock()
	if pushed.Waiting != 2 || pushed.GreenWaiting != 1 || pushed.Agents[Ready] != 1 {
		h.t.Fatalf("last pushed stats = %+v", pushed)
	}
}

func testCanServe(h *harness) {
	can := func(skill string) bool {
		ok, err := h.q.CanServe(h.ctx, skill)
		h.must(err)
		return ok
	}
	if can("medicare") {
		h.t.Fatal("nobody online, yet CanServe")
	}
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a1", Skills: []string{"medicare"}})) // not ready counts
	if !can("medicare") || can("pension") {
		h.t.Fatalf("skilled agent online: medicare %v, pension %v", can("medicare"), can("pension"))
	}
	h.readyAgent(Agent{ID: "g", Generalist: true})
	if !can("pension") {
		h.t.Fatal("generalist online, yet pension cannot be served")
	}
	h.must(h.q.AgentOffline(h.ctx, "g"))
	if can("pension") {
		h.t.Fatal("offline generalist still counts")
	}
}

func testToNamedAgent(h *harness) {
	h.readyAgent(Agent{ID: "a1", Name: "One", Skills: []string{"medicare"}})
	h.readyAgent(Agent{ID: "a2", Name: "Two", Skills: []string{"housing"}})
	ready, err := h.q.ReadyAgents(h.ctx)
	h.must(err)
	if len(ready) != 2 || ready[0].ID != "a1" || ready[1].Name != "Two" || ready[1].Skills[0] != "housing" {
		h.t.Fatalf("ready agents %+v, want a1 then a2 with names and skills", ready)
	}
	named := request("r1", "s1", "medicare")
	named.Transfer, named.ToAgent = true, "a2"
	m := h.mark()
	h.enqueue(named)
	h.waitEvent(m, "offered a2 r1")
	h.noEvent(m, "offered a1 r1")
	// A plain request behind it still reaches the skilled agent.
	h.enqueue(request("r2", "s2", "medicare"))
	h.waitEvent(m, "offered a1 r2")
	m = h.mark()
	h.must(h.q.Reject(h.ctx, "a2", "r1"))
	h.noEvent(m, "offered a2 r1")
	if ready, _ := h.q.ReadyAgents(h.ctx); len(ready) != 1 || ready[0].ID != "a2" {
		h.t.Errorf("ready agents %+v, want only a2 (a1 is ringing)", ready)
	}
}
