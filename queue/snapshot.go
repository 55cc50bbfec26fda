package queue

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// snapshot is the queue's state as a cluster leader saves it, so that its
// successor can go on where it stopped: the waiting requests with their
// enqueue times, offers and rejections, the agents with their states, skills
// and idle order, and the recent handle times behind the estimates. It is
// saved entry by entry (see statesave.go) and read back whole.
type snapshot struct {
	Seq         uint64          // the queue's ordering counter
	Requests    []savedRequest  // in the queue's order
	Agents      []savedAgent    // by id
	HandleTimes []time.Duration // oldest first
}

// savedMeta is the state's one entry that is neither a request nor an agent.
type savedMeta struct {
	Term        uint64          `json:"term"` // of the leader that saved it
	Seq         uint64          `json:"seq"`
	HandleTimes []time.Duration `json:"handle_times"`
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
	Agent    Agent      `json:"agent"`
	State    AgentState `json:"state"`
	ReadySeq uint64     `json:"ready_seq"` // lower: idle longer
	// WrapUpDue is when a wrap-up ends: a time rather than what is left, so
	// that an agent's entry need not be saved again as time passes.
	WrapUpDue time.Time `json:"wrap_up_due,omitzero"`
	// WrapUpLeft is what earlier versions saved instead of WrapUpDue.
	WrapUpLeft time.Duration `json:"wrap_up_left,omitempty"`
	Station    string        `json:"station,omitempty"` // whose call a busy agent is in
}

// decodeState reads a Locker's state back into a snapshot, with the term
// of the leader that saved it.
func decodeState(s SavedState) (snapshot, uint64, error) {
	var meta savedMeta
	if s.Meta != nil {
		if err := json.Unmarshal(s.Meta, &meta); err != nil {
			return snapshot{}, 0, fmt.Errorf("decode queue counters: %w", err)
		}
	}
	snap := snapshot{Seq: meta.Seq, HandleTimes: meta.HandleTimes}
	snap.Requests = make([]savedRequest, len(s.Requests))
	for i, e := range s.Requests {
		if err := json.Unmarshal(e.Data, &snap.Requests[i]); err != nil {
			return snapshot{}, meta.Term, fmt.Errorf("decode queue request %s: %w", e.ID, err)
		}
	}
	snap.Agents = make([]savedAgent, len(s.Agents))
	for i, e := range s.Agents {
		if err := json.Unmarshal(e.Data, &snap.Agents[i]); err != nil {
			return snapshot{}, meta.Term, fmt.Errorf("decode queue agent %s: %w", e.ID, err)
		}
	}
	return snap, meta.Term, nil
}

// legacyState turns the whole-queue value of an earlier version into
// entries, which decode as savedRequest and savedAgent do.
func legacyState(data []byte) (SavedState, error) {
	var old struct {
		Term  uint64 `json:"term"`
		Queue struct {
			Seq         uint64            `json:"seq"`
			Requests    []json.RawMessage `json:"requests"`
			Agents      []json.RawMessage `json:"agents"`
			HandleTimes []time.Duration   `json:"handle_times"`
		} `json:"queue"`
	}
	if err := json.Unmarshal(data, &old); err != nil {
		return SavedState{}, fmt.Errorf("decode earlier queue state: %w", err)
	}
	meta, err := json.Marshal(savedMeta{Term: old.Term, Seq: old.Queue.Seq, HandleTimes: old.Queue.HandleTimes})
	if err != nil {
		return SavedState{}, fmt.Errorf("encode queue counters: %w", err)
	}
	s := SavedState{Meta: meta, legacy: true}
	for _, raw := range old.Queue.Requests {
		var r savedRequest
		if err := json.Unmarshal(raw, &r); err != nil {
			return SavedState{}, fmt.Errorf("decode earlier queue request: %w", err)
		}
		s.Requests = append(s.Requests, StateEntry{ID: r.Request.ID, Order: r.Seq, Data: raw})
	}
	for _, raw := range old.Queue.Agents {
		var a savedAgent
		if err := json.Unmarshal(raw, &a); err != nil {
			return SavedState{}, fmt.Errorf("decode earlier queue agent: %w", err)
		}
		s.Agents = append(s.Agents, StateEntry{ID: a.Agent.ID, Data: raw})
	}
	return s, nil
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
	left := sa.WrapUpLeft
	if !sa.WrapUpDue.IsZero() {
		left = max(sa.WrapUpDue.Sub(q.clock.Now()), 0)
	}
	a.state, a.readySeq = sa.State, sa.ReadySeq
	if a.state == Busy {
		a.station = sa.Station
	}
	q.seq = max(q.seq, a.readySeq)
	if a.state == WrapUp {
		q.startWrapUp(a, left)
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
