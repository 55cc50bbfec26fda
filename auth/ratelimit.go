package auth

import (
	"sync"
	"time"
)

// loginLimiter counts failed logins per key (a username or a remote address)
// in a fixed window that starts at the first failure. Once a key reaches its
// limit, logins for it are refused until the window ends. The map is bounded:
// expired windows are swept when it is full, and the oldest goes after that.
type loginLimiter struct {
	limit  int
	window time.Duration
	max    int

	mu      sync.Mutex
	windows map[string]failureWindow
}

type failureWindow struct {
	start    time.Time
	failures int
}

func newLoginLimiter(limit int, window time.Duration, max int) *loginLimiter {
	return &loginLimiter{limit: limit, window: window, max: max, windows: map[string]failureWindow{}}
}

// blocked returns how long key must wait, or 0 if it may try now.
func (l *loginLimiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[key]
	if !ok || w.failures < l.limit {
		return 0
	}
	wait := w.start.Add(l.window).Sub(now)
	if wait <= 0 || wait > l.window {
		delete(l.windows, key)
		return 0
	}
	return wait
}

// fail counts a failed login for key.
func (l *loginLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[key]
	if !ok || !l.live(w, now) {
		if !ok && len(l.windows) >= l.max {
			l.makeRoom(now)
		}
		w = failureWindow{start: now}
	}
	w.failures++
	l.windows[key] = w
}

// reset forgets key's failures, after a successful login.
func (l *loginLimiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.windows, key)
}

func (l *loginLimiter) live(w failureWindow, now time.Time) bool {
	age := now.Sub(w.start)
	return age >= 0 && age < l.window
}

func (l *loginLimiter) makeRoom(now time.Time) {
	var oldestKey string
	var oldest time.Time
	for k, w := range l.windows {
		if !l.live(w, now) {
			delete(l.windows, k)
			continue
		}
		if oldestKey == "" || w.start.Before(oldest) {
			oldestKey, oldest = k, w.start
		}
	}
	if len(l.windows) >= l.max {
		delete(l.windows, oldestKey)
	}
}
