package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/store"
)

// endedLog records the SessionsEnded notifications of a Service.
type endedLog struct {
	mu  sync.Mutex
	all []SessionsEnded
}

func (l *endedLog) add(e SessionsEnded) {
	l.mu.Lock()
	l.all = append(l.all, e)
	l.mu.Unlock()
}

func (l *endedLog) last() SessionsEnded {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.all) == 0 {
		return SessionsEnded{}
	}
	return l.all[len(l.all)-1]
}

func notifyingService(t *testing.T, db *store.DB, clk *clock) (*Service, *endedLog) {
	t.Helper()
	log := &endedLog{}
	s, err := NewService(db, Options{Now: clk.Now, BcryptCost: bcrypt.MinCost, OnSessionsEnded: log.add})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, log
}

// After a password reset, disabling or "log out everywhere", every token
// issued before is refused at once, and the listener is told to close the
// account's sockets; a new login works.
func TestAccountChangesEndSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s, log := notifyingService(t, db, clk)
		agent := mustAccount(t, s, "agent1")
		password := DemoPassword
		for _, tt := range []struct {
			reason string
			end    func() error
		}{
			{EndPasswordChanged, func() error { password = "a-new-password-1"; return s.SetPassword(ctx, agent.ID, password) }},
			{EndLogoutEverywhere, func() error { return s.LogoutEverywhere(ctx, agent.ID) }},
			{EndDisabled, func() error { return s.SetDisabled(ctx, agent.ID, true) }},
		} {
			a := mustLogin(t, s, "agent1", password)
			b := mustLogin(t, s, "agent1", password)
			if _, err := s.Verify(ctx, a.Token); err != nil {
				t.Fatalf("%s: before: %v", tt.reason, err)
			}
			if err := tt.end(); err != nil {
				t.Fatalf("%s: %v", tt.reason, err)
			}
			for _, tok := range []Tokens{a, b} {
				if _, err := s.Verify(ctx, tok.Token); !errors.Is(err, ErrSessionEnded) && !errors.Is(err, ErrDisabled) {
					t.Fatalf("%s: old access token: %v", tt.reason, err)
				}
				if _, err := s.Refresh(ctx, tok.RefreshToken); err == nil {
					t.Fatalf("%s: old refresh token still works", tt.reason)
				}
			}
			if got := log.last(); got.AccountID != agent.ID || got.Session != "" || got.Reason != tt.reason {
				t.Fatalf("%s: listener told %+v", tt.reason, got)
			}
			if tt.reason != EndDisabled {
				clk.Advance(time.Millisecond)
				fresh := mustLogin(t, s, "agent1", password)
				if _, err := s.Verify(ctx, fresh.Token); err != nil {
					t.Fatalf("%s: new login: %v", tt.reason, err)
				}
			}
		}
	})
}

// Logout ends only the caller's session, and says which one.
func TestLogoutEndsOneSession(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log := notifyingService(t, db, newClock())
		mine, other := mustLogin(t, s, "supervisor1", DemoPassword), mustLogin(t, s, "supervisor1", DemoPassword)
		id, err := s.Verify(ctx, mine.Token)
		if err != nil || id.Session == "" {
			t.Fatalf("verify: %+v %v", id, err)
		}
		if err := s.Logout(ctx, mine.RefreshToken); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Verify(ctx, mine.Token); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("access token after logout: %v", err)
		}
		if err := s.ActiveSession(ctx, id); !errors.Is(err, ErrSessionEnded) {
			t.Fatalf("socket of the ended session: %v", err)
		}
		if _, err := s.Verify(ctx, other.Token); err != nil {
			t.Fatalf("the other session: %v", err)
		}
		if got := log.last(); got.Session != id.Session || got.Reason != EndLogout {
			t.Fatalf("listener told %+v", got)
		}
	})
}
