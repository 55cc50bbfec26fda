package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Locker elects a Cluster's leader: a lock that one holder has at a time and
// must renew before its time to live runs out. It also keeps the state that
// the lock guards, which only the holder may write, so that a leader who lost
// the lock cannot overwrite its successor's state.
type Locker interface {
	// Lock takes the lock for holder, or renews it if holder has it, for
	// ttl. It reports whether holder has the lock.
	Lock(ctx context.Context, holder string, ttl time.Duration) (bool, error)
	// Unlock releases the lock if holder has it.
	Unlock(ctx context.Context, holder string) error
	// Save stores state if holder has the lock; ErrNotHolder otherwise.
	Save(ctx context.Context, holder string, state []byte) error
	// Load returns the state saved last, nil if none.
	Load(ctx context.Context) ([]byte, error)
}

// ErrNotHolder is returned by Locker.Save for a holder without the lock.
var ErrNotHolder = errors.New("lock held by another")

// MemoryLocker is a Locker inside one process, for tests.
type MemoryLocker struct {
	mu      sync.Mutex
	holder  string
	expires time.Time
	state   []byte
}

var _ Locker = (*MemoryLocker)(nil)

// NewMemoryLocker returns an unlocked Locker with no state.
func NewMemoryLocker() *MemoryLocker { return &MemoryLocker{} }

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

// Save stores state if holder has the lock.
func (m *MemoryLocker) Save(ctx context.Context, holder string, state []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.heldBy(holder) {
		return fmt.Errorf("save state as %s: %w", holder, ErrNotHolder)
	}
	m.state = bytes.Clone(state)
	return nil
}

// Load returns the state saved last.
func (m *MemoryLocker) Load(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.state), nil
}
