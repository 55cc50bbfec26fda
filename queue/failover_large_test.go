package queue

import (
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"
)

// fillQueue enqueues n requests through h's queue over ten skill groups:
// every tenth green, every fourteenth with an appointment that is due and
// every fourteenth with one that is not, so that every service class is
// there. Request i is r%04d of station s%04d. They are enqueued class by
// class, so that each joins at the end of the line and the stations ahead
// are not told a new position each time.
func fillQueue(h *harness, n int) {
	h.t.Helper()
	var classes [classCount][]Request
	for i := range n {
		r := request(fmt.Sprintf("r%04d", i), fmt.Sprintf("s%04d", i), fmt.Sprintf("g%d", i%10))
		class := classPlain
		switch {
		case i%10 == 3:
			r.Green, r.GreenReason, class = true, GreenElderly, classGreen
		case i%14 == 0:
			r.AppointmentID, r.AppointmentAt, class = "ap", h.clock.Now().Add(-time.Minute), classDueAppointment
		case i%14 == 7:
			r.AppointmentID, r.AppointmentAt = "ap", h.clock.Now().Add(time.Hour)
		}
		classes[class] = append(classes[class], r)
	}
	for _, rs := range classes {
		for _, r := range rs {
			h.enqueue(r)
		}
	}
}

// positionsSince waits until every one of n stations has been told its
// position after mark, and returns the positions last told.
func positionsSince(h *harness, mark, n int) map[string]Position {
	h.t.Helper()
	waitUntil(h.t, fmt.Sprintf("%d stations told their position", n), func() bool {
		h.rec.mu.Lock()
		defer h.rec.mu.Unlock()
		told := map[string]bool{}
		for _, l := range h.rec.log[mark:] {
			if rest, ok := strings.CutPrefix(l, "position "); ok {
				told[strings.Fields(rest)[0]] = true
			}
		}
		return len(told) >= n
	})
	h.rec.mu.Lock()
	defer h.rec.mu.Unlock()
	return maps.Clone(h.rec.positions)
}

// TestClusterFailoverWith1000Waiting: the leader dies with 1,000 requests
// waiting, in every service class, one of them ringing at an agent and one
// declined. Its successor loses none: every station is told again the same
// position and estimate, the offer rings again at the same agent, the
// declined request does not go back to the agent who declined it, and the
// next agent to turn ready gets the head of the line.
func TestClusterFailoverWith1000Waiting(t *testing.T) {
	const n = 1000
	for _, be := range backends() {
		t.Run(be.name, func(t *testing.T) {
			backend := be.open(t)
			h, a, aLock := startFailover(t, backend, backend.lock)
			b := h.q.(*Cluster)

			// a3 serves g1 and is in a call; a1 serves g1 too and declines
			// the first g1 request, so the second rings at a1.
			h.readyAgent(Agent{ID: "a3", Skills: []string{"g1"}})
			h.enqueue(request("first", "s-first", "g1"))
			h.accept("a3", "first")
			h.must(b.AgentOnline(h.ctx, Agent{ID: "a2", Generalist: true}))
			h.readyAgent(Agent{ID: "a1", Skills: []string{"g1"}})
			fillQueue(h, n)
			h.must(b.Reject(h.ctx, "a1", "r0001"))
			h.waitEvent(0, "offered a1 r0011")
			before := positionsSince(h, 0, n)

			m := h.mark()
			aLock.cut.Store(true) // dies holding the lock: nothing saved or released
			a.Close()
			waitUntil(t, "b leads", b.IsLeader)

			after := positionsSince(h, m, n)
			for i := range n {
				station := fmt.Sprintf("s%04d", i)
				if got, want := after[station], before[station]; got != want {
					t.Errorf("station %s told %+v after failover, before %+v", station, got, want)
				}
			}
			if st := b.Stats(h.ctx); st.Waiting != n || st.GreenWaiting != n/10 {
				t.Fatalf("after failover %d waiting (%d green), want %d (%d)", st.Waiting, st.GreenWaiting, n, n/10)
			}
			h.waitEvent(m, "offered a1 r0011 ring=1m0s")
			h.noEvent(m, "offered a1 r0001")
			head := ""
			for i := range n {
				if pos := before[fmt.Sprintf("s%04d", i)]; pos.Position == 1 {
					head = pos.RequestID
				}
			}
			h.must(b.SetReady(h.ctx, "a2", true))
			h.waitEvent(m, "offered a2 "+head)
		})
	}
}
