package auth

import (
	"sync"
	"time"
)

// LoginLimits slow down password guessing without letting a guesser lock
// anyone out. Failures are counted per account and address: after Failures
// of them that pair waits Delay before its next try, twice as long after
// each further failure, up to MaxDelay. An address guessing at many
// accounts, or many addresses guessing at one account, are slowed the same
// way after WideFailures, except for addresses the account has logged in
// from before: their right password always gets through.
type LoginLimits struct {
	Failures     int           // per account and address before delays start
	WideFailures int           // per address, and per account, before delays start
	Delay        time.Duration // the first delay
	MaxDelay     time.Duration // the longest delay; failures are forgotten after 4× this of quiet
}

// Defaults of LoginLimits.
const (
	DefaultLoginFailures     = 5
	DefaultLoginWideFailures = 50
	DefaultLoginDelay        = 2 * time.Second
	DefaultLoginMaxDelay     = 15 * time.Minute
)

// DefaultLoginLimits are the limits a Service takes for zero fields.
func DefaultLoginLimits() LoginLimits { return LoginLimits{}.withDefaults() }

func (l LoginLimits) withDefaults() LoginLimits {
	if l.Failures <= 0 {
		l.Failures = DefaultLoginFailures
	}
	if l.WideFailures <= 0 {
		l.WideFailures = DefaultLoginWideFailures
	}
	if l.Delay <= 0 {
		l.Delay = DefaultLoginDelay
	}
	if l.MaxDelay < l.Delay {
		l.MaxDelay = max(DefaultLoginMaxDelay, l.Delay)
	}
	return l
}

// loginLimiter counts failed logins per key and says how long a key must
// wait. The map is bounded: stale entries are swept when it is full, and
// the longest-quiet one goes after that.
type loginLimiter struct {
	limits LoginLimits
	max    int

	mu      sync.Mutex
	entries map[string]failures
}

type failures struct {
	count int
	last  time.Time // the latest failure
	until time.Time // no tries before this
}

func newLoginLimiter(limits LoginLimits, max int) *loginLimiter {
	return &loginLimiter{limits: limits, max: max, entries: map[string]failures{}}
}

// blocked returns how long key must wait, or 0 if it may try now.
func (l *loginLimiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.entries[key]
	if !ok {
		return 0
	}
	wait := f.until.Sub(now)
	if wait <= 0 || wait > l.limits.MaxDelay { // a clock that went back frees the key
		return 0
	}
	return wait
}

// fail counts a failure for key, which may fail free times before it has to
// wait. It reports whether key now has to wait (a lock-out).
func (l *loginLimiter) fail(key string, free int, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.entries[key]
	if !ok && len(l.entries) >= l.max {
		l.makeRoom(now)
	}
	if ok && l.stale(f, now) {
		f = failures{}
	}
	f.count++
	f.last = now
	if f.count <= free {
		l.entries[key] = f
		return false
	}
	wait := l.limits.MaxDelay
	if n := f.count - free - 1; n < 30 {
		wait = min(l.limits.Delay<<n, l.limits.MaxDelay)
	}
	f.until = now.Add(wait)
	l.entries[key] = f
	return true
}

// reset forgets key's failures, after a successful login.
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}

// stale reports whether f has been quiet long enough to be forgotten.
func (l *loginLimiter) stale(f failures, now time.Time) bool {
	quiet := now.Sub(f.last)
	return quiet >= 4*l.limits.MaxDelay || quiet < 0
}

func (l *loginLimiter) makeRoom(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, f := range l.entries {
		if l.stale(f, now) {
			delete(l.entries, k)
			continue
		}
		if oldestKey == "" || f.last.Before(oldest) {
			oldestKey, oldest = k, f.last
		}
	}
	if len(l.entries) >= l.max {
		delete(l.entries, oldestKey)
	}
}
