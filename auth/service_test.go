package auth

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"cloudwindow/identity"
	"cloudwindow/store"
)

func TestLogin(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, db, clk)
		if err := s.SetDisabled(ctx, mustAccount(t, s, "agent2").ID, true); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, username, password string
			wantRole                 identity.Role
			wantErr                  error
		}{
			{"agent", "agent1", "demo", identity.RoleAgent, nil},
			{"station device", "station1", "demo", identity.RoleStation, nil},
			{"username typed in capitals", " Admin ", "demo", identity.RoleAdmin, nil},
			{"wrong password", "agent1", "demo2", "", ErrBadCredentials},
			{"unknown user", "nobody", "demo", "", ErrBadCredentials},
			{"empty password", "agent1", "", "", ErrBadCredentials},
			{"disabled account", "agent2", "demo", "", ErrDisabled},
			{"disabled account, wrong password", "agent2", "nope", "", ErrBadCredentials},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tok, err := s.Login(ctx, tt.username, tt.password, "10.0.0.1")
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					return
				}
				if tok.Role != tt.wantRole || tok.Token == "" || tok.RefreshToken == "" {
					t.Fatalf("tokens = %+v", tok)
				}
				if want := clk.Now().Add(DefaultAccessTTL); !tok.ExpiresAt.Equal(want) {
					t.Fatalf("expires_at = %v, want %v", tok.ExpiresAt, want)
				}
			})
		}
	})
}

func TestLoginSameErrorForUnknownUserAndWrongPassword(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		s := seeded(t, db, newClock())
		_, unknown := s.Login(context.Background(), "ghost", "x", "")
		_, wrong := s.Login(context.Background(), "agent1", "x", "")
		if unknown == nil || wrong == nil || unknown.Error() != wrong.Error() {
			t.Fatalf("unknown user: %v; wrong password: %v", unknown, wrong)
		}
	})
}

func TestVerifyReturnsTheAccount(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, db, clk)
		// A second node on the same store shares the signing key.
		other := newTestService(t, db, clk)
		tests := []struct {
			username string
			check    func(identity.Identity) bool
		}{
			{"agent1", func(id identity.Identity) bool {
				return id.Role == identity.RoleAgent && id.DisplayName == "王芳" && slices.Contains(id.Skills, "long_term_care")
			}},
			{"agent2", func(id identity.Identity) bool { return id.Generalist && len(id.Skills) == 0 }},
			{"island1", func(id identity.Identity) bool {
				return id.Role == identity.RoleStation && id.Island && id.Region == "沈家门街道" && id.DisplayName == "鲁家峙岛远程帮办点"
			}},
			{"station1", func(id identity.Identity) bool { return id.Role == identity.RoleStation && !id.Island }},
		}
		for _, tt := range tests {
			t.Run(tt.username, func(t *testing.T) {
				tok := mustLogin(t, s, tt.username, DemoPassword)
				for node, svc := range map[string]*Service{"issuing node": s, "other node": other} {
					id, err := svc.Verify(ctx, tok.Token)
					if err != nil {
						t.Fatalf("%s: verify: %v", node, err)
					}
					if id.Username != tt.username || id.AccountID == "" || !tt.check(id) {
						t.Fatalf("%s: identity = %+v", node, id)
					}
				}
			})
		}
	})
}

func TestVerifyRefusesExpiredToken(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		s := seeded(t, db, clk)
		tok := mustLogin(t, s, "agent1", DemoPassword)
		clk.Advance(DefaultAccessTTL - time.Second)
		if _, err := s.Verify(context.Background(), tok.Token); err != nil {
			t.Fatalf("token refused before its expiry: %v", err)
		}
		clk.Advance(2 * time.Second)
		if _, err := s.Verify(context.Background(), tok.Token); !errors.Is(err, ErrExpired) {
			t.Fatalf("expired token: err = %v, want ErrExpired", err)
		}
	})
}

func TestDisabledAccountStopsWithinCacheTTL(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		node1 := seeded(t, db, clk)
		node2 := newTestService(t, db, clk)
		tok := mustLogin(t, node1, "agent1", DemoPassword)
		if _, err := node1.Verify(ctx, tok.Token); err != nil {
			t.Fatal(err)
		}

		// Disabled through the other node: node1 learns of it from the store.
		if err := node2.SetDisabled(ctx, mustAccount(t, node2, "agent1").ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := node2.Verify(ctx, tok.Token); !errors.Is(err, ErrDisabled) {
			t.Fatalf("node that disabled the account: err = %v, want ErrDisabled at once", err)
		}
		clk.Advance(accountCacheTTL + time.Second)
		if _, err := node1.Verify(ctx, tok.Token); !errors.Is(err, ErrDisabled) {
			t.Fatalf("after the cache TTL: err = %v, want ErrDisabled", err)
		}
		if _, err := node1.Refresh(ctx, tok.RefreshToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("refresh of a disabled account: err = %v, want revoked", err)
		}
		if _, err := node1.Login(ctx, "agent1", DemoPassword, ""); !errors.Is(err, ErrDisabled) {
			t.Fatalf("login: err = %v, want ErrDisabled", err)
		}

		if err := node1.SetDisabled(ctx, mustAccount(t, node1, "agent1").ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := node1.Verify(ctx, mustLogin(t, node1, "agent1", DemoPassword).Token); err != nil {
			t.Fatalf("re-enabled account: %v", err)
		}
	})
}

func TestRefreshRotatesTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s := seeded(t, db, clk)
		first := mustLogin(t, s, "supervisor1", DemoPassword)
		clk.Advance(time.Minute)

		second, err := s.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if second.RefreshToken == first.RefreshToken || second.Token == first.Token || second.Role != identity.RoleSupervisor {
			t.Fatalf("refresh did not rotate: %+v", second)
		}
		if _, err := s.Verify(ctx, second.Token); err != nil {
			t.Fatalf("refreshed access token: %v", err)
		}
		if _, err := s.Refresh(ctx, first.RefreshToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("reused refresh token: err = %v, want ErrInvalidToken", err)
		}
		if !second.RefreshExpiresAt.Equal(first.RefreshExpiresAt) {
			t.Fatalf("rotation moved the session end from %v to %v", first.RefreshExpiresAt, second.RefreshExpiresAt)
		}

		if err := s.Logout(ctx, second.RefreshToken); err != nil {
			t.Fatalf("logout: %v", err)
		}
		if _, err := s.Refresh(ctx, second.RefreshToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("refresh after logout: err = %v, want ErrInvalidToken", err)
		}
		if err := s.Logout(ctx, second.RefreshToken); err != nil {
			t.Fatalf("second logout must be harmless: %v", err)
		}
	})
}

func TestRefreshTokenLifetimes(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tests := []struct {
			username string
			ttl      time.Duration
		}{
			{"agent1", DefaultRefreshTTL},
			{"station1", DefaultStationRefreshTTL},
		}
		for _, tt := range tests {
			t.Run(tt.username, func(t *testing.T) {
				clk := newClock()
				s := seeded(t, db, clk)
				tok := mustLogin(t, s, tt.username, DemoPassword)
				if want := clk.Now().Add(tt.ttl); !tok.RefreshExpiresAt.Equal(want) {
					t.Fatalf("refresh expires %v, want %v", tok.RefreshExpiresAt, want)
				}
				clk.Advance(tt.ttl - time.Minute)
				tok, err := s.Refresh(ctx, tok.RefreshToken)
				if err != nil {
					t.Fatalf("refresh just before expiry: %v", err)
				}
				clk.Advance(time.Minute)
				if _, err := s.Refresh(ctx, tok.RefreshToken); !errors.Is(err, ErrExpired) {
					t.Fatalf("refresh at expiry: err = %v, want ErrExpired", err)
				}
			})
		}
	})
}

func TestRefreshRejectsGarbage(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		s := seeded(t, db, newClock())
		for _, tok := range []string{"", "x", string(make([]byte, 1000))} {
			if _, err := s.Refresh(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("refresh %q: err = %v, want ErrInvalidToken", tok, err)
			}
		}
	})
}
