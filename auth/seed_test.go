package auth

import (
	"context"
	"errors"
	"testing"

	"cloudwindow/identity"
	"cloudwindow/store"
)

func TestSeedDemoIsIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db, newClock())
		name := "改过的名字"
		if _, err := s.UpdateAccount(ctx, mustAccount(t, s, "agent2").ID, AccountChange{DisplayName: &name}); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		all, err := s.Accounts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(demoAccounts()) {
			t.Fatalf("%d accounts after seeding twice, want %d", len(all), len(demoAccounts()))
		}
		if got := mustAccount(t, s, "agent2").DisplayName; got != name {
			t.Fatalf("seeding again overwrote an edit: %q", got)
		}
		for _, a := range demoAccounts() {
			if a.Role == identity.RoleHelper {
				if id, err := s.CheckHelper(ctx, a.Username, DemoHelperPIN, "station-1"); err != nil || id.Role != a.Role {
					t.Errorf("helper %s with the demo PIN: %v %v", a.Username, id.Role, err)
				}
				continue
			}
			if tok := mustLogin(t, s, a.Username, DemoPassword); tok.Role != a.Role {
				t.Errorf("%s logged in as %s, want %s", a.Username, tok.Role, a.Role)
			}
		}
	})
}

func TestEnsureAdmin(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newTestService(t, db, newClock())
		password, created, err := s.EnsureAdmin(ctx)
		if err != nil || !created || len(password) < minPasswordLen {
			t.Fatalf("first start: password %q created %v err %v", password, created, err)
		}
		if tok := mustLogin(t, s, "admin", password); tok.Role != identity.RoleAdmin {
			t.Fatalf("role %s", tok.Role)
		}
		again, created, err := s.EnsureAdmin(ctx)
		if err != nil || created || again != "" {
			t.Fatalf("second start: password %q created %v err %v", again, created, err)
		}
		mustLogin(t, s, "admin", password) // the password was not replaced
		if _, err := s.Login(ctx, "admin", DemoPassword, ""); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("a fresh install must not accept the demo password: %v", err)
		}
	})
}
