package auth

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"cloudwindow/store"
)

func TestLoginRateLimitPerUsername(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, db, clk)
		for i := range userFailureLimit {
			// Each guess comes from a different address: the username alone
			// must trip the limit.
			addr := fmt.Sprintf("10.0.0.%d", i)
			if _, err := s.Login(ctx, "agent1", "guess", addr); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess %d: err = %v", i, err)
			}
		}
		_, err := s.Login(ctx, "agent1", DemoPassword, "10.0.1.1")
		var limited *RateLimitError
		if !errors.As(err, &limited) {
			t.Fatalf("right password while locked: err = %v, want RateLimitError", err)
		}
		if limited.RetryAfter <= 0 || limited.RetryAfter > failureSpan {
			t.Fatalf("retry after %v", limited.RetryAfter)
		}
		mustLogin(t, s, "agent2", DemoPassword) // other users are unaffected

		clk.Advance(limited.RetryAfter)
		mustLogin(t, s, "agent1", DemoPassword)
	})
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, db, clk)
		for i := range addrFailureLimit {
			// A different username each time: the address must trip the limit.
			if _, err := s.Login(ctx, fmt.Sprintf("user%d", i), "guess", "192.0.2.7"); !errors.Is(err, ErrBadCredentials) {
				t.Fatalf("guess %d: err = %v", i, err)
			}
		}
		var limited *RateLimitError
		if _, err := s.Login(ctx, "agent1", DemoPassword, "192.0.2.7"); !errors.As(err, &limited) {
			t.Fatalf("from the guessing address: err = %v, want RateLimitError", err)
		}
		if _, err := s.Login(ctx, "agent1", DemoPassword, "192.0.2.8"); err != nil {
			t.Fatalf("from another address: %v", err)
		}
	})
}

func TestLoginLimiterStaysBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newLoginLimiter(2, time.Minute, 3)
	for i := range 100 {
		l.fail(fmt.Sprintf("k%d", i), now)
	}
	if n := len(l.windows); n > 3 {
		t.Fatalf("limiter holds %d keys, want at most 3", n)
	}
	l.fail("k99", now)
	if l.blocked("k99", now) == 0 {
		t.Fatal("the most recent key lost its failures")
	}
	if wait := l.blocked("k99", now.Add(time.Minute)); wait != 0 {
		t.Fatalf("blocked %v after the window", wait)
	}
}

func TestAccountCacheStaysBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newAccountCache(30*time.Second, 4)
	for i := range 50 {
		c.put(Account{ID: fmt.Sprint(i)}, now)
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
