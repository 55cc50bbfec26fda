package catalog

import (
	"sync"
	"time"
)

// cacheMaxAge bounds how stale another node's view can be: edits clear this
// node's cache at once, but in a cluster the other nodes only notice when
// their copy expires (or when something calls Invalidate on them).
const cacheMaxAge = 30 * time.Second

// snapshot is an immutable view of the enabled items, in display order.
type snapshot struct {
	version int
	items   []Item
	keys    []string // search keys, parallel to items
	byID    map[string]int
}

func newSnapshot(version int, items []Item) *snapshot {
	s := &snapshot{version: version, items: items, keys: make([]string, len(items)), byID: make(map[string]int, len(items))}
	for i, it := range items {
		s.keys[i] = searchKey(it)
		s.byID[it.ID] = i
	}
	return s
}

// cache holds the current snapshot. A load that started before an edit must
// not install its stale result afterwards, so every invalidation bumps gen
// and put only installs a snapshot loaded under the current gen.
type cache struct {
	mu       sync.Mutex
	snap     *snapshot
	loadedAt time.Time
	gen      uint64
}

// get returns the snapshot if it is fresh, and the generation to pass to
// put after loading a new one.
func (c *cache) get(now time.Time) (*snapshot, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && now.Sub(c.loadedAt) < cacheMaxAge {
		return c.snap, c.gen
	}
	return nil, c.gen
}

func (c *cache) put(s *snapshot, gen uint64, loadedAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		c.snap, c.loadedAt = s, loadedAt
	}
}

func (c *cache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap = nil
	c.gen++
}
