package sessionstate

import (
	"context"
	"sync"
	"time"
)

// Memory is a Store for a node running alone.
type Memory struct {
	mu      sync.Mutex
	records map[string]Record
	now     func() time.Time
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory {
	return &Memory{records: map[string]Record{}, now: time.Now}
}

// Save implements Store.
func (m *Memory) Save(_ context.Context, r Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.records[r.AccountID] = r
	return nil
}

// Load implements Store.
func (m *Memory) Load(_ context.Context, accountID string) (Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.records[accountID]
	if !ok || !m.now().Before(r.ExpiresAt) {
		delete(m.records, accountID)
		return Record{}, ErrNotFound
	}
	return r, nil
}

// Delete implements Store.
func (m *Memory) Delete(_ context.Context, accountID, sessionID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.records[accountID]; ok && r.ID == sessionID {
		delete(m.records, accountID)
	}
	return nil
}
