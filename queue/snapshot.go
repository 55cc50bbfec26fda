package queue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// snapshot is the queue's state as a cluster leader saves it, so that its
// successor can go on where it stopped: the waiting requests with their
// enqueue times, offers and rejections, the agents with their states, skills
// and idle order, and the recent handle times behind the estimates.
type snapshot struct {
	Seq         uint64          `json:"seq"` // the queue's ordering counter
	Requests    []savedRequest  `json:"requests"`
	Agents      []savedAgent    `json:"agents"`
	HandleTimes []time.Duration `json:"handle_times"` // oldest first
}

type savedRequest struct {
	Request    Request  `json:"request"`
	Seq        uint64   `json:"seq"`
	OfferedTo  string   `json:"offered_to,omitempty"`
	RejectedBy []string `json:"rejected_by,omitempty"`
	Calling    bool     `json:"calling,omitempty"`  // a ticket being called at its kiosk, for OfferedTo
	Answered   bool     `json:"answered,omitempty"` // a ticket whose resident answered
}

type savedAgent struct {
	Agent      Agent         `json:"agent"`
	State      AgentState    `json:"state"`
	ReadySeq   uint64        `json:"ready_seq"` // lower: idle longer
	WrapUpLeft time.Duration `json:"wrap_up_left,omitempty"`
	Station    string        `json:"station,omitempty"` // whose call a busy agent is in
}

// snapshot returns the queue's current state.
func (q *Local) snapshot() snapshot {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.clock.Now()
	s := snapshot{Seq: q.seq, HandleTimes: q.handle.recent()}
	for _, w := range q.waiting {
		s.Requests = append(s.Requests, savedRequest{
			Request: w.req, Seq: w.seq, OfferedTo: w.offeredTo, RejectedBy: slices.Clone(w.rejectedBy),
			Calling: q.calling(w), Answered: w.answered,
		})
	}
	for _, a := range q.agents {
		sa := savedAgent{Agent: a.info, State: a.state, ReadySeq: a.readySeq, Station: a.station}
		sa.Agent.Skills = slices.Clone(a.info.Skills)
		if a.wrapUp != nil {
			sa.WrapUpLeft = max(a.wrapUp.due.Sub(now), 0)
		}
		s.Agents = append(s.Agents, sa)
	}
	slices.SortFunc(s.Agents, func(a, b savedAgent) int { return cmp.Compare(a.Agent.ID, b.Agent.ID) })
	return s
}

// restore loads a snapshot into an empty queue. Offers that were ringing ring
// again, from the start of the ring timeout; wrap-ups end when they would
// have. Every waiting station is sent its position again, since the events
// of the queue that saved the snapshot may not all have gone out. A snapshot
// that does not hold together changes nothing.
func (q *Local) restore(s snapshot) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("restore queue: %w", err)
	}
	return q.mutate(context.Background(), func(time.Time) error {
		if len(q.waiting) > 0 || len(q.agents) > 0 {
			return fmt.Errorf("restore queue: queue in use: %w", ErrInvalidState)
		}
		q.seq = s.Seq
		for _, sa := range s.Agents {
			q.restoreAgent(sa)
		}
		for _, sr := range s.Requests {
			q.restoreRequest(sr)
		}
		for _, d := range s.HandleTimes {
			q.handle.add(d)
		}
		for _, sr := range s.Requests {
			a, w := q.agents[sr.OfferedTo], q.byID[sr.Request.ID]
			switch {
			case a == nil || !a.free():
			case sr.Calling:
				q.callTicket(a, w) // the resident gets a whole answer time again
			default:
				q.offer(a, w)
			}
		}
		return nil
	})
}

func (q *Local) restoreAgent(sa savedAgent) {
	a := newAgent(sa.Agent)
	a.state, a.readySeq = sa.State, sa.ReadySeq
	if a.state == Busy {
		a.station = sa.Station
	}
	q.seq = max(q.seq, a.readySeq)
	if a.state == WrapUp {
		q.startWrapUp(a, sa.WrapUpLeft)
	}
	q.agents[a.info.ID] = a
}

func (q *Local) restoreRequest(sr savedRequest) {
	w := &waiting{
		req: sr.Request, seq: sr.Seq, group: q.joinGroup(sr.Request.SkillGroup),
		rejectedBy: slices.Clone(sr.RejectedBy), answered: sr.Answered,
	}
	q.seq = max(q.seq, w.seq)
	i, _ := slices.BinarySearchFunc(q.waiting, w.seq, func(e *waiting, seq uint64) int { return cmp.Compare(e.seq, seq) })
	q.waiting = slices.Insert(q.waiting, i, w)
	q.index(w)
}

// check reports whether the snapshot is one a queue could have saved.
func (s *snapshot) check() error {
	states := allAgentStates()
	agents := make(map[string]bool, len(s.Agents))
	for _, a := range s.Agents {
		if a.Agent.ID == "" || agents[a.Agent.ID] || !slices.Contains(states[:], a.State) {
			return fmt.Errorf("agent %q (%s) duplicate or invalid: %w", a.Agent.ID, a.State, ErrInvalidRequest)
		}
		agents[a.Agent.ID] = true
	}
	ids, stations, seqs := map[string]bool{}, map[string]bool{}, map[uint64]bool{}
	for _, r := range s.Requests {
		if err := validate(r.Request); err != nil {
			return err
		}
		// A station waits with one plain request or with tickets, not both.
		key := r.Request.StationID
		if r.Request.Ticket != "" {
			key = "ticket:" + r.Request.ID
		}
		if ids[r.Request.ID] || stations[key] || seqs[r.Seq] {
			return fmt.Errorf("request %s duplicate: %w", r.Request.ID, ErrInvalidRequest)
		}
		ids[r.Request.ID], stations[key], seqs[r.Seq] = true, true, true
	}
	return nil
}
