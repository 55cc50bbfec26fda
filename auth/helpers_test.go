package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// forEachDB runs fn on every test database (see storetest.ForEachDB).
func forEachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) { storetest.ForEachDB(t, fn) }

// newTestService returns a Service on db with cheap hashing and clk's time.
func newTestService(t *testing.T, db *store.DB, clk *clock) *Service {
	t.Helper()
	s, err := NewService(db, Options{Now: clk.Now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	return s
}

// seeded returns a Service with the demo accounts.
func seeded(t *testing.T, db *store.DB, clk *clock) *Service {
	t.Helper()
	s := newTestService(t, db, clk)
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return s
}

func mustLogin(t *testing.T, s *Service, username, password string) Tokens {
	t.Helper()
	tok, err := s.Login(context.Background(), username, password, "127.0.0.1")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return tok
}

func mustAccount(t *testing.T, s *Service, username string) Account {
	t.Helper()
	a, err := s.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("account %s: %v", username, err)
	}
	return a
}
