package queue

import (
	"context"
	"fmt"
	"time"
)

// offer is a request ringing at an agent.
type offer struct {
	requestID string
	timer     Timer
	calling   bool // a ticket called at its kiosk: the agent is held, not rung yet
}

// offer rings the request at the agent until they answer or the ring times out.
func (q *Local) offer(a *agent, w *waiting) {
	o := &offer{requestID: w.req.ID}
	id := a.info.ID
	o.timer = q.clock.AfterFunc(q.cfg.RingTimeout, func() { q.ringTimedOut(id, o) })
	a.offer = o
	w.offeredTo = id
	q.events.add(event{kind: evOffered, agentID: id, request: w.req, ringTimeout: q.cfg.RingTimeout})
}

// withdraw ends the agent's ringing offer, if any, telling them why unless the
// reason is empty. The request stays waiting; refresh offers it again.
func (q *Local) withdraw(a *agent, reason string) {
	o := a.offer
	if o == nil {
		return
	}
	o.timer.Stop()
	a.offer = nil
	w, ok := q.byID[o.requestID]
	if ok {
		w.offeredTo = ""
	}
	switch {
	case o.calling && ok:
		// The agent never heard of it; the kiosk stops calling until the
		// ticket's turn comes again.
		q.events.add(event{kind: evTicketEnded, stationID: w.req.StationID, request: w.req, reason: TicketWithdrawn})
	case o.calling:
	case reason != "":
		q.events.add(event{kind: evWithdrawn, agentID: a.info.ID, requestID: o.requestID, reason: reason})
	}
}

func (q *Local) ringTimedOut(agentID string, o *offer) {
	q.onTimer(func(time.Time) bool {
		a, ok := q.agents[agentID]
		if !ok || a.offer != o {
			return false // answered or withdrawn meanwhile
		}
		q.withdraw(a, ReasonTimeout)
		// Nobody answering usually means nobody is at the seat: stop ringing it.
		q.setState(a, NotReady)
		q.log.Info("offer not answered, agent set not ready", "agent", agentID, "request", o.requestID)
		return true
	})
}

// Accept takes the request offered to the agent; see Queue.
func (q *Local) Accept(ctx context.Context, agentID, requestID string) (Request, error) {
	var req Request
	err := q.mutate(ctx, func(time.Time) error {
		a, w, err := q.offered(agentID, requestID)
		if err != nil {
			return fmt.Errorf("accept: %w", err)
		}
		q.withdraw(a, "")
		q.remove(w)
		q.setState(a, Busy)
		a.station = w.req.StationID
		req = w.req
		return nil
	})
	return req, err
}

// Reject declines the request offered to the agent, who stays ready; the
// request goes to another agent (see the package documentation).
func (q *Local) Reject(ctx context.Context, agentID, requestID string) error {
	return q.mutate(ctx, func(time.Time) error {
		a, w, err := q.offered(agentID, requestID)
		if err != nil {
			return fmt.Errorf("reject: %w", err)
		}
		q.withdraw(a, "")
		if !w.rejected(agentID) {
			w.rejectedBy = append(w.rejectedBy, agentID)
		}
		return nil
	})
}

// offered returns the agent and the request ringing at them.
func (q *Local) offered(agentID, requestID string) (*agent, *waiting, error) {
	w, ok := q.byID[requestID]
	if !ok {
		return nil, nil, fmt.Errorf("request %s: %w", requestID, ErrNotFound)
	}
	a, ok := q.agents[agentID]
	if !ok || a.offer == nil || a.offer.requestID != requestID || a.offer.calling {
		return nil, nil, fmt.Errorf("request %s to agent %s: %w", requestID, agentID, ErrNotOffered)
	}
	return a, w, nil
}
