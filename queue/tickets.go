package queue

import (
	"context"
	"fmt"
	"time"
)

// Station tickets (取号叫号). Several residents at one station each take a
// ticket and sit down; every ticket waits in the queue as a request of its
// own, with its own place and enqueue time. A station takes part in one call
// at a time, so a ticket is passed over (like a request nobody can serve)
// while another ticket of its station is being called or ringing, or an
// agent is in a call with the station.
//
// When routing picks an agent for a ticket, the agent is held for it and the
// kiosk calls the number (TicketListener.TicketCalled); the offer rings at
// the agent once the resident answers at the kiosk (AnswerTicket). Holding
// the agent rather than ringing them keeps the agent's ring timeout from
// running out while the resident walks to the kiosk. A ticket not answered
// within Config.TicketAnswerTimeout goes back once: it keeps its enqueue
// time but joins the back of its class, behind every request waiting at
// that moment (so the station's next resident, who is there, goes first).
// Missed a second time, it lapses and leaves the queue. A ticket that was
// answered and then rejected or timed out at an agent rings again at the
// next one without a new call-out: its resident is already at the kiosk.

// Outcomes given in TicketListener.TicketCallEnded.
const (
	TicketAnswered  = "answered"  // the resident came; the offer rings at the agent
	TicketRequeued  = "requeued"  // missed once; back in the queue
	TicketLapsed    = "lapsed"    // missed twice; left the queue
	TicketWithdrawn = "withdrawn" // the held agent left or the ticket was cancelled
)

// TicketListener is a Listener that also hears about station tickets. The
// queue tells a Listener that does not implement it nothing of tickets.
type TicketListener interface {
	// TicketCalled: the kiosk should call the ticket's number; the resident
	// has answerTimeout to answer.
	TicketCalled(stationID string, req Request, answerTimeout time.Duration)
	// TicketCallEnded: the kiosk stops calling the ticket, for the reason
	// given (one of the Ticket outcomes). req is the ticket as it is now
	// (RequeuedAt set once it went back).
	TicketCallEnded(stationID string, req Request, outcome string)
}

// queuedAt orders requests when a queue rebuilds its order (Rejoin).
func (r Request) queuedAt() time.Time {
	if !r.RequeuedAt.IsZero() {
		return r.RequeuedAt
	}
	return r.EnqueuedAt
}

// stationWaits reports whether r's station waits in a way that excludes r:
// a station waits with one plain request or with tickets, never both.
func (q *Local) stationWaits(r Request) bool {
	if r.forRunningCall() {
		return false // the station is in that call, whatever else it waits for
	}
	if _, plain := q.byStation[r.StationID]; plain {
		return true
	}
	return r.Ticket == "" && q.tickets[r.StationID] > 0
}

// index adds w to the lookup maps.
func (q *Local) index(w *waiting) {
	q.byID[w.req.ID] = w
	if w.req.Ticket != "" {
		q.tickets[w.req.StationID]++
		return
	}
	if !w.req.forRunningCall() {
		q.byStation[w.req.StationID] = w
	}
}

// forRunningCall tells a request of a call already running (a transfer or a
// consultation) from a station's own wait: it does not hold the station's
// place, and the station may wait with tickets at the same time.
func (r Request) forRunningCall() bool { return r.Transfer || r.Consult }

func (q *Local) unindex(w *waiting) {
	delete(q.byID, w.req.ID)
	if w.req.forRunningCall() {
		return
	}
	if w.req.Ticket == "" {
		delete(q.byStation, w.req.StationID)
		return
	}
	if q.tickets[w.req.StationID]--; q.tickets[w.req.StationID] <= 0 {
		delete(q.tickets, w.req.StationID)
	}
}

// engagedStations lists the stations with tickets waiting that cannot take
// another call now: one of their tickets is called or ringing, or an agent
// is in a call with them. Nil when no ticket waits.
func (q *Local) engagedStations() map[string]bool {
	if len(q.tickets) == 0 {
		return nil
	}
	engaged := q.scratch.engaged
	if engaged == nil {
		engaged = make(map[string]bool)
		q.scratch.engaged = engaged
	}
	clear(engaged)
	for _, a := range q.agents {
		if a.state == Busy && a.station != "" {
			engaged[a.station] = true
		}
		if a.offer != nil {
			if w, ok := q.byID[a.offer.requestID]; ok {
				engaged[w.req.StationID] = true
			}
		}
	}
	return engaged
}

func (q *Local) calling(w *waiting) bool {
	a := q.agents[w.offeredTo]
	return a != nil && a.offer != nil && a.offer.calling
}

// offerOrCall rings w at a, or for a ticket whose resident has not answered
// yet, holds a and calls the ticket at the kiosk.
func (q *Local) offerOrCall(a *agent, w *waiting) {
	if w.req.Ticket == "" || w.answered {
		q.offer(a, w)
		return
	}
	q.callTicket(a, w)
}

// callTicket holds a for w and has the kiosk call w's number.
func (q *Local) callTicket(a *agent, w *waiting) {
	o := &offer{requestID: w.req.ID, calling: true}
	id := a.info.ID
	o.timer = q.clock.AfterFunc(q.cfg.TicketAnswerTimeout, func() { q.ticketMissed(id, o) })
	a.offer = o
	w.offeredTo = id
	q.events.add(event{kind: evTicketCalled, stationID: w.req.StationID, request: w.req, ringTimeout: q.cfg.TicketAnswerTimeout})
}

// ticketMissed sends a called ticket nobody answered back once, or lets it
// lapse; the agent held for it is free again.
func (q *Local) ticketMissed(agentID string, o *offer) {
	q.onTimer(func(now time.Time) bool {
		a, ok := q.agents[agentID]
		w, found := q.byID[o.requestID]
		if !ok || a.offer != o || !found {
			return false // answered or withdrawn meanwhile
		}
		a.offer = nil
		w.offeredTo = ""
		if !w.req.RequeuedAt.IsZero() {
			q.remove(w)
			q.events.add(event{kind: evTicketEnded, stationID: w.req.StationID, request: w.req, reason: TicketLapsed})
			q.log.Info("ticket lapsed", "station", w.req.StationID, "ticket", w.req.Ticket)
			return true
		}
		w.req.RequeuedAt = now
		q.cutOut(w)
		q.seq++
		w.seq = q.seq
		q.waiting = append(q.waiting, w)
		q.events.add(event{kind: evTicketEnded, stationID: w.req.StationID, request: w.req, reason: TicketRequeued})
		return true
	})
}

// AnswerTicket rings the agent held for a called ticket; see Queue.
func (q *Local) AnswerTicket(ctx context.Context, stationID, requestID string) error {
	return q.mutate(ctx, func(time.Time) error {
		w, ok := q.byID[requestID]
		if !ok || w.req.StationID != stationID || w.req.Ticket == "" {
			return fmt.Errorf("answer ticket %s of station %s: %w", requestID, stationID, ErrNotFound)
		}
		if !q.calling(w) {
			return fmt.Errorf("answer ticket %s: not being called: %w", w.req.Ticket, ErrInvalidState)
		}
		a := q.agents[w.offeredTo]
		a.offer.timer.Stop()
		a.offer = nil
		w.offeredTo = ""
		w.answered = true
		q.events.add(event{kind: evTicketEnded, stationID: stationID, request: w.req, reason: TicketAnswered})
		q.offer(a, w)
		return nil
	})
}

// The cluster leader passes ticket events on like the others.

func (l *leader) TicketCalled(stationID string, req Request, answer time.Duration) {
	l.add(event{kind: evTicketCalled, stationID: stationID, request: req, ringTimeout: answer})
}

func (l *leader) TicketCallEnded(stationID string, req Request, outcome string) {
	l.add(event{kind: evTicketEnded, stationID: stationID, request: req, reason: outcome})
}

// AnswerTicket is forwarded to the leader; see Queue.
func (c *Cluster) AnswerTicket(ctx context.Context, stationID, requestID string) error {
	_, err := c.call(ctx, callMsg{Op: opAnswerTicket, StationID: stationID, RequestID: requestID})
	return err
}
