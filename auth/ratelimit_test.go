package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/bcrypt"

	"cloudwindow/store"
)

// limitedService is a Service with small login limits and its own metrics.
func limitedService(t *testing.T, db *store.DB, clk *clock, reg prometheus.Registerer) *Service {
	t.Helper()
	s, err := NewService(db, Options{
		Now: clk.Now, BcryptCost: bcrypt.MinCost, Registerer: reg,
		LoginLimits: LoginLimits{Failures: 3, WideFailures: 6, Delay: time.Second, MaxDelay: time.Minute},
	})
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return s
}

func loginFrom(s *Service, user, password, addr string) error {
	_, err := s.Login(context.Background(), user, password, addr)
	return err
}

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var limited *RateLimitError
	if !errors.As(err, &limited) {
		t.Fatalf("err = %v, want RateLimitError", err)
	}
	return limited.RetryAfter
}

// A guesser cannot lock an account: its wrong passwords slow down only
// the guesser's own address, with delays that grow.
func TestGuessingDoesNotLockTheAccount(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		reg := prometheus.NewRegistry()
		s := limitedService(t, db, clk, reg)
		const attacker = "203.0.113.9"
		for i := range 3 {
			if err := loginFrom(s, "station1", "guess", attacker); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		if err := loginFrom(s, "station1", "guess", attacker); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("4th guess: %v", err)
		}
		if wait := retryAfter(t, loginFrom(s, "station1", DemoPassword, attacker)); wait != time.Second {
			t.Fatalf("first delay %v, want 1s", wait)
		}
		clk.Advance(time.Second)
		loginFrom(s, "station1", "guess", attacker)
		if wait := retryAfter(t, loginFrom(s, "station1", "guess", attacker)); wait != 2*time.Second {
			t.Fatalf("second delay %v, want 2s", wait)
		}
		// The station itself, at its own address, is not held up.
		if err := loginFrom(s, "station1", DemoPassword, "198.51.100.20"); err != nil {
			t.Fatalf("the station's own login while being guessed at: %v", err)
		}
		if got := lockouts(t, reg, scopeAccountAddress); got != 2 {
			t.Fatalf("lock-outs counted %v, want 2", got)
		}
	})
}

// Behind one address (a shared NAT, an untrusted proxy) guesses at many
// accounts slow that address down, but an account that has logged in from
// it before still gets in with its right password.
func TestKnownAddressGetsThrough(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		s := limitedService(t, db, clk, nil)
		const shared = "192.0.2.7"
		if err := loginFrom(s, "agent1", DemoPassword, shared); err != nil {
			t.Fatal(err)
		}
		for i := range 7 {
			loginFrom(s, fmt.Sprintf("user%d", i), "guess", shared)
		}
		if err := loginFrom(s, "agent1", DemoPassword, shared); err != nil {
			t.Fatalf("known account at the guessing address: %v", err)
		}
		retryAfter(t, loginFrom(s, "agent2", DemoPassword, shared))
		// Guesses at one account from many addresses slow down new
		// addresses only.
		for i := range 7 {
			loginFrom(s, "supervisor1", "guess", fmt.Sprintf("10.1.0.%d", i))
		}
		retryAfter(t, loginFrom(s, "supervisor1", DemoPassword, "10.2.0.1"))
		clk.Advance(time.Second)
		if err := loginFrom(s, "supervisor1", DemoPassword, "10.2.0.1"); err != nil {
			t.Fatalf("after the delay: %v", err)
		}
	})
}

func TestLoginLimiterStaysBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLoginLimiter(LoginLimits{Delay: time.Second, MaxDelay: time.Minute}, 3)
	for i := range 100 {
		l.fail(fmt.Sprintf("k%d", i), 0, now)
	}
	if n := len(l.entries); n > 3 {
		t.Fatalf("limiter holds %d keys, want at most 3", n)
	}
	l.fail("k99", 0, now)
	if l.blocked("k99", now) == 0 {
		t.Fatal("the most recent key lost its failures")
	}
	if wait := l.blocked("k99", now.Add(time.Minute)); wait != 0 {
		t.Fatalf("blocked %v after the longest delay", wait)
	}
	// Delays stop growing at MaxDelay, and a long quiet forgets them.
	for range 40 {
		l.fail("k99", 0, now)
	}
	if wait := l.blocked("k99", now); wait != time.Minute {
		t.Fatalf("delay %v, want the 1m cap", wait)
	}
	if l.fail("k99", 1, now.Add(4*time.Minute)) {
		t.Fatal("failures were not forgotten after a quiet spell")
	}
}

func TestCacheStaysBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newTTLCache[Account](30*time.Second, 4)
	for i := range 50 {
		c.put(fmt.Sprint(i), Account{ID: fmt.Sprint(i)}, now)
	}
	if n := len(c.entries); n > 4 {
		t.Fatalf("cache holds %d accounts, want at most 4", n)
	}
	if _, ok := c.get("49", now); !ok {
		t.Fatal("the newest account is not cached")
	}
	if _, ok := c.get("49", now.Add(30*time.Second)); ok {
		t.Fatal("entry outlived the TTL")
	}
}

// lockouts reads cloudwindow_login_lockouts_total{scope} from reg.
func lockouts(t *testing.T, reg *prometheus.Registry, scope string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "cloudwindow_login_lockouts_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "scope" && l.GetValue() == scope {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
