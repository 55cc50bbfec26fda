package queue

import "time"

type eventKind int

const (
	evOffered eventKind = iota
	evWithdrawn
	evPosition
	evAgentState
	evStats
	evTicketCalled
	evTicketEnded
	evLast = evTicketEnded
)

// event is one Listener call waiting to be made. A flat struct rather than an
// interface keeps queuing free of allocations.
type event struct {
	kind        eventKind
	agentID     string
	request     Request
	ringTimeout time.Duration
	requestID   string
	reason      string
	stationID   string
	position    Position
	state       AgentState
	stats       Stats
}

func (e *event) deliverTo(l Listener) {
	switch e.kind {
	case evOffered:
		l.Offered(e.agentID, e.request, e.ringTimeout)
	case evWithdrawn:
		l.OfferWithdrawn(e.agentID, e.requestID, e.reason)
	case evPosition:
		l.PositionChanged(e.stationID, e.position)
	case evAgentState:
		l.AgentStateChanged(e.agentID, e.state)
	case evStats:
		l.StatsChanged(e.stats)
	case evTicketCalled:
		if tl, ok := l.(TicketListener); ok {
			tl.TicketCalled(e.stationID, e.request, e.ringTimeout)
		}
	case evTicketEnded:
		if tl, ok := l.(TicketListener); ok {
			tl.TicketCallEnded(e.stationID, e.request, e.reason)
		}
	}
}

// outbox holds events queued under the lock until they are delivered.
type outbox struct {
	pending    []event
	spare      []event // the previous batch's buffer, reused
	delivering bool    // a goroutine is delivering; it will take new events too
}

func (o *outbox) add(e event) { o.pending = append(o.pending, e) }

// deliver makes the queued Listener calls outside the lock. Only one goroutine
// delivers at a time, which keeps the calls in the order the changes happened;
// events queued meanwhile, including by a listener calling back into the queue,
// are delivered by the goroutine already delivering.
func (q *Local) deliver() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.events.delivering {
		return
	}
	q.events.delivering = true
	defer func() { q.events.delivering = false }() // also if a listener panics
	for len(q.events.pending) > 0 {
		batch := q.events.pending
		q.events.pending = q.events.spare[:0]
		q.callListener(batch)
		clear(batch) // drop references to delivered requests
		q.events.spare = batch[:0]
	}
}

// callListener delivers a batch with the lock released; it returns, or
// panics, with the lock held again.
func (q *Local) callListener(batch []event) {
	q.mu.Unlock()
	defer q.mu.Lock()
	for i := range batch {
		batch[i].deliverTo(q.listener)
	}
}

// nopListener stands in when nobody listens.
type nopListener struct{}

func (nopListener) Offered(string, Request, time.Duration) {}
func (nopListener) OfferWithdrawn(string, string, string)  {}
func (nopListener) PositionChanged(string, Position)       {}
func (nopListener) AgentStateChanged(string, AgentState)   {}
func (nopListener) StatsChanged(Stats)                     {}
