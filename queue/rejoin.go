package queue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// Rejoin brings back agents and waiting requests the queue lost; see Queue.
func (q *Local) Rejoin(ctx context.Context, agents []AgentPresence, requests []Request) error {
	states := allAgentStates()
	for _, p := range agents {
		if p.Agent.ID == "" || !slices.Contains(states[:], p.State) {
			return fmt.Errorf("rejoin agent %q (%s): %w", p.Agent.ID, p.State, ErrInvalidRequest)
		}
	}
	for _, r := range requests {
		if err := validate(r); err != nil {
			return fmt.Errorf("rejoin: %w", err)
		}
	}
	return q.mutate(ctx, func(now time.Time) error {
		for _, p := range agents {
			q.rejoinAgent(p)
		}
		added := false
		for _, r := range requests {
			added = q.rejoinRequest(r, now) || added
		}
		if added {
			q.orderByEnqueueTime()
		}
		return nil
	})
}

// rejoinAgent adds an agent the queue holds as offline or not at all.
func (q *Local) rejoinAgent(p AgentPresence) {
	a, ok := q.agents[p.Agent.ID]
	if ok && a.state != Offline {
		return
	}
	if !ok {
		a = newAgent(p.Agent)
		q.agents[p.Agent.ID] = a
	}
	q.setState(a, p.State)
	if p.State == Busy {
		a.station = p.Station
	}
}

// rejoinRequest adds a request of a station that is not waiting, keeping
// its enqueue time unless that lies ahead of now. One this queue took out
// stays out: a node lists a ticket until it hears that its call started, and
// one listed in that moment came back, to be called again after its call.
func (q *Local) rejoinRequest(r Request, now time.Time) bool {
	if q.byID[r.ID] != nil || q.taken.has(r.ID) || q.stationWaits(r) {
		return false
	}
	if r.EnqueuedAt.IsZero() || r.EnqueuedAt.After(now) {
		r.EnqueuedAt = now
	}
	if r.RequeuedAt.After(now) {
		r.RequeuedAt = now
	}
	q.seq++
	w := &waiting{req: r, seq: q.seq, group: q.joinGroup(r.SkillGroup)}
	q.waiting = append(q.waiting, w)
	q.index(w)
	return true
}

// orderByEnqueueTime puts the waiting requests in the order they were first
// enqueued (a ticket that went back: when it went back) and numbers them
// afresh, keeping seq ascending along the list.
func (q *Local) orderByEnqueueTime() {
	slices.SortStableFunc(q.waiting, func(a, b *waiting) int {
		if c := a.req.queuedAt().Compare(b.req.queuedAt()); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	for _, w := range q.waiting {
		q.seq++
		w.seq = q.seq
	}
}

// takenRequests remembers the last requests the queue took out for good
// (accepted, cancelled, lapsed), so that a Rejoin telling of them late does
// not bring them back. Guarded by the queue's lock.
type takenRequests struct {
	ids  [256]string
	next int
	set  map[string]bool
}

func (t *takenRequests) add(id string) {
	if t.set == nil {
		t.set = make(map[string]bool, len(t.ids))
	}
	if t.set[id] {
		return
	}
	delete(t.set, t.ids[t.next])
	t.ids[t.next] = id
	t.set[id] = true
	t.next = (t.next + 1) % len(t.ids)
}

func (t *takenRequests) has(id string) bool { return t.set[id] }
