package queue

import (
	"cmp"
	"slices"
	"time"
)

// scratch holds buffers reused by every refresh, so that routing allocates
// nothing per waiting request or agent. Used only under the lock.
type scratch struct {
	classes [classCount][]*waiting
	order   []*waiting
	free    []*agent
	engaged map[string]bool // stations that cannot take another ticket now
}

// order lists the waiting requests in service order: transferred calls,
// then green channel, then due
// appointments, then the rest. Each class is first come, first served: a due
// appointment joins its class when it falls due (or on arrival, if later).
// nextDue is when the next appointment falls due, zero if none will.
func (q *Local) order(now time.Time) (order []*waiting, nextDue time.Time) {
	classes := &q.scratch.classes
	for c := range classes {
		classes[c] = classes[c][:0]
	}
	for _, w := range q.waiting {
		c := w.class(now)
		classes[c] = append(classes[c], w)
		if c == classPlain && w.hasAppointment() && (nextDue.IsZero() || w.req.AppointmentAt.Before(nextDue)) {
			nextDue = w.req.AppointmentAt
		}
	}
	slices.SortStableFunc(classes[classDueAppointment], func(a, b *waiting) int {
		return a.dueSince().Compare(b.dueSince())
	})
	out := q.scratch.order[:0]
	for _, c := range classes {
		out = append(out, c...)
	}
	q.scratch.order = out
	return out, nextDue
}

// route offers waiting requests, in order, to free agents. A request no free
// agent can serve is skipped, so it never blocks the ones behind it.
func (q *Local) route(order []*waiting) {
	free := q.freeAgents()
	if len(free) == 0 {
		return
	}
	engaged := q.engagedStations()
	q.routePass++
	for _, w := range order {
		if len(free) == 0 {
			return
		}
		if w.offeredTo != "" || (w.req.Ticket != "" && engaged[w.req.StationID]) {
			continue
		}
		if w.group.unserved == q.routePass && w.req.ToAgent == "" {
			continue
		}
		i, outcome := q.pick(free, w)
		switch outcome {
		case picked:
			q.offerOrCall(free[i], w)
			free = slices.Delete(free, i, i+1)
			if w.req.Ticket != "" {
				engaged[w.req.StationID] = true
			}
		case nobodyFree:
			// The free list only shrinks during a pass, so the whole skill group
			// can be skipped from here on; not for a transfer to one colleague,
			// whom alone it may go to.
			if w.req.ToAgent == "" {
				w.group.unserved = q.routePass
			}
		}
	}
}

// freeAgents returns the ready agents with nothing ringing, longest idle first.
func (q *Local) freeAgents() []*agent {
	free := q.scratch.free[:0]
	for _, a := range q.agents {
		if a.free() {
			free = append(free, a)
		}
	}
	slices.SortFunc(free, func(a, b *agent) int { return cmp.Compare(a.readySeq, b.readySeq) })
	q.scratch.free = free
	return free
}

type pickOutcome int

const (
	picked        pickOutcome = iota
	nobodyFree                // no free agent can serve the request's skill group
	waitForOthers             // only agents who rejected it are free; others will be
)

// rank orders the agents who can take a request; lower is better.
type rank int

const (
	rankSkilled rank = iota
	rankGeneralist
	rankRejectedSkilled
	rankRejectedGeneralist
	rankNone
)

func rankFor(a *agent, w *waiting) rank {
	if w.req.ToAgent != "" {
		if a.info.ID != w.req.ToAgent || w.rejected(a.info.ID) {
			return rankNone
		}
		return rankSkilled
	}
	ok, skilled := a.serves(w.req.SkillGroup)
	switch {
	case !ok:
		return rankNone
	case w.rejected(a.info.ID) && skilled:
		return rankRejectedSkilled
	case w.rejected(a.info.ID):
		return rankRejectedGeneralist
	case skilled:
		return rankSkilled
	default:
		return rankGeneralist
	}
}

// pick chooses among free agents (longest idle first) the one to offer w to:
// skilled before generalist, and someone who rejected w only when no other
// working agent can serve it.
func (q *Local) pick(free []*agent, w *waiting) (int, pickOutcome) {
	best, bestRank := -1, rankNone
	for i, a := range free {
		if r := rankFor(a, w); r < bestRank {
			best, bestRank = i, r
		}
		if bestRank == rankSkilled {
			break
		}
	}
	switch {
	case bestRank == rankNone:
		return -1, nobodyFree
	case bestRank >= rankRejectedSkilled && q.othersCanServe(w):
		return -1, waitForOthers
	}
	return best, picked
}

// othersCanServe reports whether an agent who has not rejected w is working and
// can serve it.
func (q *Local) othersCanServe(w *waiting) bool {
	for _, a := range q.agents {
		if ok, _ := a.serves(w.req.SkillGroup); ok && a.working() && !w.rejected(a.info.ID) {
			return true
		}
	}
	return false
}
