package queue

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Local is the in-memory Queue of a single node.
type Local struct {
	cfg      Config
	clock    Clock
	log      *slog.Logger
	listener Listener

	mu        sync.Mutex
	closed    bool
	seq       uint64     // orders enqueues and agents becoming ready
	waiting   []*waiting // enqueue order, oldest first
	byID      map[string]*waiting
	taken     takenRequests
	byStation map[string]*waiting // plain requests only
	tickets   map[string]int      // waiting tickets per station
	agents    map[string]*agent
	groups    map[string]*skillGroup // of waiting requests
	routePass uint64
	handle    handleTimes
	due       appointmentTimer
	lastStats statsKey
	scratch   scratch
	events    outbox
}

var _ Queue = (*Local)(nil)

// NewLocal returns an empty queue that reports to l (which may be nil).
func NewLocal(cfg Config, l Listener) *Local {
	cfg = cfg.withDefaults()
	if l == nil {
		l = nopListener{}
	}
	return &Local{
		cfg:       cfg,
		clock:     cfg.Clock,
		log:       cfg.Logger.With("component", "queue"),
		listener:  l,
		byID:      make(map[string]*waiting),
		byStation: make(map[string]*waiting),
		tickets:   make(map[string]int),
		agents:    make(map[string]*agent),
		groups:    make(map[string]*skillGroup),
		handle:    newHandleTimes(cfg.HandleTimeSamples, cfg.DefaultHandleTime),
	}
}

// mutate applies change under the lock, routes and republishes what it changed,
// then delivers the resulting events outside the lock.
func (q *Local) mutate(ctx context.Context, change func(now time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	q.mu.Lock()
	err := q.changeLocked(change)
	q.mu.Unlock()
	q.deliver()
	return err
}

func (q *Local) changeLocked(change func(now time.Time) error) error {
	if q.closed {
		return ErrClosed
	}
	now := q.clock.Now()
	if err := change(now); err != nil {
		return err
	}
	q.refresh(now)
	return nil
}

// onTimer runs a timer's work like mutate; fire reports whether anything
// changed, since a timer may fire after its cause was already dealt with.
func (q *Local) onTimer(fire func(now time.Time) bool) {
	q.mu.Lock()
	if !q.closed {
		now := q.clock.Now()
		if fire(now) {
			q.refresh(now)
		}
	}
	q.mu.Unlock()
	q.deliver()
}

// refresh brings everything derived from the queue's state up to date: offers
// for free agents, positions, stats and the next appointment check.
func (q *Local) refresh(now time.Time) {
	order, nextDue := q.order(now)
	q.route(order)
	q.publishPositions(order)
	q.publishStats(now)
	q.scheduleAppointment(now, nextDue)
}

// Close stops every timer; later calls return ErrClosed.
func (q *Local) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	for _, a := range q.agents {
		a.stopTimers()
	}
	q.due.stop()
	return nil
}

// AgentState reports an agent's state.
func (q *Local) AgentState(ctx context.Context, agentID string) (AgentState, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	a, ok := q.agents[agentID]
	if !ok {
		return "", fmt.Errorf("agent %s: %w", agentID, ErrNotFound)
	}
	return a.state, nil
}

// Waiting returns the station's waiting request and its current position.
func (q *Local) Waiting(_ context.Context, stationID string) (Request, Position, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	w, ok := q.byStation[stationID]
	if !ok {
		return Request{}, Position{}, false
	}
	return w.req, w.lastPos, true
}

// CanServe reports whether an online agent could take skillGroup; see Queue.
func (q *Local) CanServe(ctx context.Context, skillGroup string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("queue: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, a := range q.agents {
		if _, skilled := a.skills[skillGroup]; a.state != Offline && (skilled || a.info.Generalist) {
			return true, nil
		}
	}
	return false, nil
}

// ReadyAgents lists the agents ready now, longest idle first; see Queue.
func (q *Local) ReadyAgents(ctx context.Context) ([]Agent, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []Agent
	for _, a := range q.freeAgents() {
		info := a.info
		info.Skills = slices.Clone(info.Skills)
		out = append(out, info)
	}
	return out, nil
}

// Stats returns the wallboard summary as of now.
func (q *Local) Stats(_ context.Context) Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.stats(q.clock.Now())
}
