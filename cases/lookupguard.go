package cases

import (
	"sync"
	"time"
)

// Defaults of the lookup guard: a resident who mistypes a few times is
// never stopped; a station trying numbers one after another is, long
// before it could hit a million check digits.
const (
	defaultLookupFailures = 10
	defaultLookupWindow   = 10 * time.Minute
)

// lookupGuard counts each station's case-number lookups that found
// nothing. Once a station has had max of them within window, its lookups
// are refused until the window that began with its first failure ends.
// Only signed-in stations are counted, so the map holds at most one entry
// per station account.
type lookupGuard struct {
	max    int
	window time.Duration

	mu     sync.Mutex
	failed map[string]lookupFailures
}

type lookupFailures struct {
	since time.Time
	n     int
}

func newLookupGuard(max int, window time.Duration) *lookupGuard {
	if max <= 0 {
		max = defaultLookupFailures
	}
	if window <= 0 {
		window = defaultLookupWindow
	}
	return &lookupGuard{max: max, window: window, failed: map[string]lookupFailures{}}
}

// blocked reports whether station may not look up numbers now.
func (g *lookupGuard) blocked(station string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.failed[station]
	if ok && now.Sub(f.since) >= g.window {
		delete(g.failed, station)
		return false
	}
	return ok && f.n >= g.max
}

// fail counts a lookup of station that found nothing and reports whether
// it was the one that reached the limit.
func (g *lookupGuard) fail(station string, now time.Time) (reached bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f, ok := g.failed[station]
	if !ok || now.Sub(f.since) >= g.window {
		f = lookupFailures{since: now}
	}
	f.n++
	g.failed[station] = f
	return f.n == g.max
}
