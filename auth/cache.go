package auth

import (
	"sync"
	"time"
)

// ttlCache remembers what Verify looked up (accounts, login sessions) for a
// short time, so a request does not cost a database read, while a change
// made on another node still takes effect within ttl even if its
// notification is lost.
type ttlCache[V any] struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]cached[V]
}

type cached[V any] struct {
	v       V
	fetched time.Time
}

func newTTLCache[V any](ttl time.Duration, max int) *ttlCache[V] {
	return &ttlCache[V]{ttl: ttl, max: max, entries: map[string]cached[V]{}}
}

func (c *ttlCache[V]) get(id string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || c.expired(e, now) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *ttlCache[V]) put(id string, v V, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; !ok && len(c.entries) >= c.max {
		c.evictExpired(now)
		if len(c.entries) >= c.max {
			clear(c.entries) // only refills cost a read; memory stays bounded
		}
	}
	c.entries[id] = cached[V]{v: v, fetched: now}
}

// forget drops id so that this node sees a change at once.
func (c *ttlCache[V]) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

func (c *ttlCache[V]) expired(e cached[V], now time.Time) bool {
	// A clock that went backwards must not keep an entry alive forever.
	age := now.Sub(e.fetched)
	return age >= c.ttl || age < 0
}

func (c *ttlCache[V]) evictExpired(now time.Time) {
	for id, e := range c.entries {
		if c.expired(e, now) {
			delete(c.entries, id)
		}
	}
}
