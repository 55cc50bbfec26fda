package queue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// savedEntries remembers what a leader saved last, so that each save
// writes only the requests and agents that changed since, and removes those
// that left: what a change writes does not grow with the queue (finding it
// is a scan of small marks in memory, a fraction of the routing pass). The
// first save after a failed one writes everything; so does a new leader's,
// unless it restored the entries it found.
type savedEntries struct {
	saved    bool // the entries below are what the Locker holds
	meta     []byte
	requests map[string]requestMark
	agents   map[string]agentMark
}

// requestMark is what a request's saved entry depends on, besides the
// request itself, of which only RequeuedAt changes while it waits.
type requestMark struct {
	requeuedAt time.Time
	seq        uint64
	offeredTo  string
	rejections int // rejections are only ever added
	calling    bool
	answered   bool
}

// agentMark is what an agent's saved entry depends on.
type agentMark struct {
	info      Agent
	state     AgentState
	readySeq  uint64
	wrapUpDue time.Time
	station   string
}

func (m *agentMark) equal(o *agentMark) bool {
	return m.info.ID == o.info.ID && m.info.Name == o.info.Name && m.info.Generalist == o.info.Generalist &&
		slices.Equal(m.info.Skills, o.info.Skills) && m.state == o.state && m.readySeq == o.readySeq &&
		m.wrapUpDue.Equal(o.wrapUpDue) && m.station == o.station
}

// seed makes t describe a state just loaded and restored, so that a new
// leader's first save writes only what restoring it changed (offers that
// could not ring again, wrap-ups that ended meanwhile) and not the whole
// queue again.
func (t *savedEntries) seed(s snapshot) {
	*t = savedEntries{
		saved:    true,
		requests: make(map[string]requestMark, len(s.Requests)),
		agents:   make(map[string]agentMark, len(s.Agents)),
	}
	for _, r := range s.Requests {
		t.requests[r.Request.ID] = requestMark{
			requeuedAt: r.Request.RequeuedAt, seq: r.Seq, offeredTo: r.OfferedTo,
			rejections: len(r.RejectedBy), calling: r.Calling, answered: r.Answered,
		}
	}
	for _, a := range s.Agents {
		t.agents[a.Agent.ID] = agentMark{
			info: a.Agent, state: a.State, readySeq: a.ReadySeq, wrapUpDue: a.WrapUpDue, station: a.Station,
		}
	}
}

// invalidate makes the next save write everything: the Locker may hold
// anything after a save that failed.
func (t *savedEntries) invalidate() { t.saved = false }

// stateChange returns what changed in the queue since t was last brought up
// to date, and brings it up to date. term is the saving leader's.
func (q *Local) stateChange(t *savedEntries, term uint64) (StateChange, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := StateChange{Reset: !t.saved}
	if c.Reset {
		*t = savedEntries{requests: make(map[string]requestMark), agents: make(map[string]agentMark)}
	}
	meta, err := json.Marshal(savedMeta{Term: term, Seq: q.seq, HandleTimes: q.handle.recent()})
	if err != nil {
		return StateChange{}, fmt.Errorf("encode queue counters: %w", err)
	}
	if !bytes.Equal(meta, t.meta) {
		c.Meta, t.meta = meta, meta
	}
	if err := q.requestChanges(t, &c); err != nil {
		return StateChange{}, err
	}
	if err := q.agentChanges(t, &c); err != nil {
		return StateChange{}, err
	}
	t.saved = true
	return c, nil
}

func (q *Local) requestChanges(t *savedEntries, c *StateChange) error {
	for _, w := range q.waiting {
		m := requestMark{
			requeuedAt: w.req.RequeuedAt, seq: w.seq, offeredTo: w.offeredTo, rejections: len(w.rejectedBy),
			calling: q.calling(w), answered: w.answered,
		}
		if old, ok := t.requests[w.req.ID]; ok && old == m {
			continue
		}
		data, err := json.Marshal(savedRequest{
			Request: w.req, Seq: w.seq, OfferedTo: w.offeredTo, RejectedBy: w.rejectedBy,
			Calling: m.calling, Answered: w.answered,
		})
		if err != nil {
			return fmt.Errorf("encode queue request %s: %w", w.req.ID, err)
		}
		t.requests[w.req.ID] = m
		c.Requests = append(c.Requests, StateEntry{ID: w.req.ID, Order: w.seq, Data: data})
	}
	for id := range t.requests {
		if _, ok := q.byID[id]; !ok {
			delete(t.requests, id)
			c.RemovedRequests = append(c.RemovedRequests, id)
		}
	}
	return nil
}

func (q *Local) agentChanges(t *savedEntries, c *StateChange) error {
	for id, a := range q.agents {
		m := agentMark{info: a.info, state: a.state, readySeq: a.readySeq, station: a.station}
		if a.wrapUp != nil {
			m.wrapUpDue = a.wrapUp.due
		}
		if old, ok := t.agents[id]; ok && old.equal(&m) {
			continue
		}
		data, err := json.Marshal(savedAgent{
			Agent: a.info, State: a.state, ReadySeq: a.readySeq, WrapUpDue: m.wrapUpDue, Station: a.station,
		})
		if err != nil {
			return fmt.Errorf("encode queue agent %s: %w", id, err)
		}
		m.info.Skills = slices.Clone(a.info.Skills)
		t.agents[id] = m
		c.Agents = append(c.Agents, StateEntry{ID: id, Data: data})
	}
	for id := range t.agents {
		if _, ok := q.agents[id]; !ok {
			delete(t.agents, id)
			c.RemovedAgents = append(c.RemovedAgents, id)
		}
	}
	return nil
}
