package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Locker elects a Cluster's leader: a lock that one holder has at a time and
// must renew before its time to live runs out. It also keeps the queue state
// that the lock guards, entry by entry, which only the holder may write, so
// that a leader who lost the lock cannot overwrite its successor's state.
type Locker interface {
	// Lock takes the lock for holder, or renews it if holder has it, for
	// ttl. It reports whether holder has the lock.
	Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error)
	// Unlock releases the lock if holder has it.
	Unlock(ctx context.Context, holder string) error
	// Save applies a change to the state, all of it or nothing, if holder
	// has the lock; ErrNotHolder otherwise.
	Save(ctx context.Context, holder string, c StateChange) error
	// Load returns the state as saved, its requests in order; empty if none.
	Load(ctx context.Context) (SavedState, error)
}

// ErrNotHolder is returned by Locker.Save for a holder without the lock.
var ErrNotHolder = errors.New("lock held by another")

// StateEntry is one saved request or agent. Its data is the queue's own
// encoding; a Locker stores it as it is.
type StateEntry struct {
	ID    string
	Order uint64 // requests only: ascending along the queue's order
	Data  []byte
}

// StateChange is what a leader saves after a change of the queue: the
// entries that changed and those that left. Putting an entry replaces the
// one with its id.
type StateChange struct {
	// Reset drops every saved entry first: the change holds the whole state.
	Reset           bool
	Meta            []byte // the queue's counters; nil: unchanged
	Requests        []StateEntry
	RemovedRequests []string
	Agents          []StateEntry
	RemovedAgents   []string
}

// empty reports whether the change would write nothing.
func (c *StateChange) empty() bool {
	return !c.Reset && c.Meta == nil && len(c.Requests)+len(c.RemovedRequests)+len(c.Agents)+len(c.RemovedAgents) == 0
}

// SavedState is the state as a Locker holds it.
type SavedState struct {
	Meta     []byte       // nil if nothing was saved
	Requests []StateEntry // by Order
	Agents   []StateEntry // by ID
	// legacy: read from an earlier version's whole-queue value, not from
	// the entries a Save writes.
	legacy bool
}

// MemoryLocker is a Locker inside one process, for tests.
type MemoryLocker struct {
	mu       sync.Mutex
	holder   string
	expires  time.Time
	meta     []byte
	requests map[string]StateEntry
	agents   map[string]StateEntry
}

var _ Locker = (*MemoryLocker)(nil)

// NewMemoryLocker returns an unlocked Locker with no state.
func NewMemoryLocker() *MemoryLocker {
	return &MemoryLocker{requests: map[string]StateEntry{}, agents: map[string]StateEntry{}}
}

// Lock takes or renews the lock; see Locker.
func (m *MemoryLocker) Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("lock: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.heldBy(holder) && m.heldBy(m.holder) {
		return false, nil
	}
	m.holder, m.expires = holder, time.Now().Add(ttl)
	return true, nil
}

// heldBy reports whether holder has an unexpired lock; m.mu must be held.
func (m *MemoryLocker) heldBy(holder string) bool {
	return holder != "" && m.holder == holder && time.Now().Before(m.expires)
}

// Unlock releases the lock if holder has it.
func (m *MemoryLocker) Unlock(ctx context.Context, holder string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.heldBy(holder) {
		m.holder = ""
	}
	return nil
}

// Save applies the change if holder has the lock.
func (m *MemoryLocker) Save(ctx context.Context, holder string, c StateChange) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.heldBy(holder) {
		return fmt.Errorf("save state as %s: %w", holder, ErrNotHolder)
	}
	if c.Reset {
		m.meta = nil
		clear(m.requests)
		clear(m.agents)
	}
	if c.Meta != nil {
		m.meta = slices.Clone(c.Meta)
	}
	apply(m.requests, c.Requests, c.RemovedRequests)
	apply(m.agents, c.Agents, c.RemovedAgents)
	return nil
}

func apply(saved map[string]StateEntry, put []StateEntry, removed []string) {
	for _, e := range put {
		e.Data = slices.Clone(e.Data)
		saved[e.ID] = e
	}
	for _, id := range removed {
		delete(saved, id)
	}
}

// Load returns the state as saved.
func (m *MemoryLocker) Load(ctx context.Context) (SavedState, error) {
	if err := ctx.Err(); err != nil {
		return SavedState{}, fmt.Errorf("load state: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := SavedState{
		Meta:     slices.Clone(m.meta),
		Requests: slices.Collect(maps.Values(m.requests)),
		Agents:   slices.Collect(maps.Values(m.agents)),
	}
	slices.SortFunc(s.Requests, func(a, b StateEntry) int { return cmp.Compare(a.Order, b.Order) })
	slices.SortFunc(s.Agents, func(a, b StateEntry) int { return cmp.Compare(a.ID, b.ID) })
	return s, nil
}
