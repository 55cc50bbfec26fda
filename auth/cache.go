package auth

import (
	"sync"
	"time"
)

// accountCache remembers accounts looked up by Verify for a short time, so a
// request does not cost a database read, while disabling an account still
// takes effect on every node within ttl.
type accountCache struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]cachedAccount
}

type cachedAccount struct {
	acct    Account
	fetched time.Time
}

func newAccountCache(ttl time.Duration, max int) *accountCache {
	return &accountCache{ttl: ttl, max: max, entries: map[string]cachedAccount{}}
}

func (c *accountCache) get(id string, now time.Time) (Account, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok || c.expired(e, now) {
		return Account{}, false
	}
	return e.acct, true
}

func (c *accountCache) put(acct Account, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[acct.ID]; !ok && len(c.entries) >= c.max {
		c.evictExpired(now)
		if len(c.entries) >= c.max {
			clear(c.entries) // only refills cost a read; memory stays bounded
		}
	}
	c.entries[acct.ID] = cachedAccount{acct: acct, fetched: now}
}

// forget drops id so that this node sees a change at once.
func (c *accountCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, id)
}

func (c *accountCache) expired(e cachedAccount, now time.Time) bool {
	// A clock that went backwards must not keep an entry alive forever.
	age := now.Sub(e.fetched)
	return age >= c.ttl || age < 0
}

func (c *accountCache) evictExpired(now time.Time) {
	for id, e := range c.entries {
		if c.expired(e, now) {
			delete(c.entries, id)
		}
	}
}
