package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"cloudwindow/identity"
	"cloudwindow/store"
)

func countAccounts(t *testing.T, s *Service) int {
	t.Helper()
	all, err := s.Accounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

func TestCreateAccountValidation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db, newClock())
		good := NewAccount{Username: "agent9", Password: "long enough", DisplayName: "赵六", Role: identity.RoleAgent, Skills: []string{"elderly"}}
		tests := []struct {
			name   string
			change func(*NewAccount)
		}{
			{"station role", func(n *NewAccount) { n.Role = identity.RoleStation }},
			{"unknown role", func(n *NewAccount) { n.Role = "root" }},
			{"username too short", func(n *NewAccount) { n.Username = "a" }},
			{"username too long", func(n *NewAccount) { n.Username = strings.Repeat("a", 65) }},
			{"username with space", func(n *NewAccount) { n.Username = "agent 9" }},
			{"username in Chinese", func(n *NewAccount) { n.Username = "王芳" }},
			{"username starting with a dot", func(n *NewAccount) { n.Username = ".agent" }},
			{"no display name", func(n *NewAccount) { n.DisplayName = "  " }},
			{"display name too long", func(n *NewAccount) { n.DisplayName = strings.Repeat("长", 65) }},
			{"display name with newline", func(n *NewAccount) { n.DisplayName = "a\nb" }},
			{"display name with a right-to-left override", func(n *NewAccount) { n.DisplayName = "王\u202e芳" }},
			{"display name with a direction isolate", func(n *NewAccount) { n.DisplayName = "\u2067赵六\u2069" }},
			{"short password", func(n *NewAccount) { n.Password = "short" }},
			{"password beyond bcrypt", func(n *NewAccount) { n.Password = strings.Repeat("p", 73) }},
			{"unknown skill", func(n *NewAccount) { n.Skills = []string{"taxes"} }},
			{"repeated skill", func(n *NewAccount) { n.Skills = []string{"elderly", "elderly"} }},
			{"agent with nothing to do", func(n *NewAccount) { n.Skills = nil }},
			{"supervisor with skills", func(n *NewAccount) { n.Role = identity.RoleSupervisor }},
			{"admin generalist", func(n *NewAccount) { n.Role, n.Skills, n.Generalist = identity.RoleAdmin, nil, true }},
		}
		before := countAccounts(t, s)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				n := good
				tt.change(&n)
				_, err := s.CreateAccount(ctx, n)
				var bad *ValidationError
				if !errors.As(err, &bad) {
					t.Fatalf("err = %v, want a ValidationError", err)
				}
			})
		}
		if after := countAccounts(t, s); after != before {
			t.Fatalf("bad input created accounts: %d before, %d after", before, after)
		}
		if _, err := s.CreateAccount(ctx, NewAccount{Username: "Agent1", Password: "long enough", DisplayName: "x", Role: identity.RoleAgent, Generalist: true}); !errors.Is(err, ErrUsernameTaken) {
			t.Fatalf("duplicate username: err = %v, want ErrUsernameTaken", err)
		}
		a, err := s.CreateAccount(ctx, good)
		if err != nil {
			t.Fatalf("valid account: %v", err)
		}
		mustLogin(t, s, a.Username, good.Password)
	})
}

func TestCreateStationValidation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db, newClock())
		good := NewStation{Username: "kiosk-07", Password: GenerateDeviceSecret(), Name: "朱家尖远程帮办点", Region: "朱家尖街道", Island: true}
		tests := []struct {
			name   string
			change func(*NewStation)
		}{
			{"no name", func(n *NewStation) { n.Name = "" }},
			{"no region", func(n *NewStation) { n.Region = "" }},
			{"name with a right-to-left override", func(n *NewStation) { n.Name = "\u202e点办帮程远" }},
			{"bad device id", func(n *NewStation) { n.Username = "kiosk/07" }},
			{"short secret", func(n *NewStation) { n.Password = "1234" }},
		}
		before := countAccounts(t, s)
		for _, tt := range tests {
			n := good
			tt.change(&n)
			var bad *ValidationError
			if _, err := s.CreateStation(ctx, n); !errors.As(err, &bad) {
				t.Errorf("%s: err = %v, want a ValidationError", tt.name, err)
			}
		}
		if after := countAccounts(t, s); after != before {
			t.Fatalf("bad input created accounts: %d before, %d after", before, after)
		}
		a, err := s.CreateStation(ctx, good)
		if err != nil {
			t.Fatal(err)
		}
		id, err := s.Verify(ctx, mustLogin(t, s, "KIOSK-07", good.Password).Token)
		if err != nil || id.AccountID != a.ID || !id.Island || id.Region != "朱家尖街道" {
			t.Fatalf("station identity %+v, err %v", id, err)
		}
	})
}

func TestUpdateAccount(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db, newClock())
		agent := mustAccount(t, s, "agent1")
		if err := s.UpdateAgent(ctx, agent.ID, []string{"housing", "residence"}, true); err != nil {
			t.Fatal(err)
		}
		// An invalid change among valid ones saves nothing.
		name := "新名字"
		badSkills := []string{"housing", "astrology"}
		_, err := s.UpdateAccount(ctx, agent.ID, AccountChange{DisplayName: &name, Skills: &badSkills})
		var bad *ValidationError
		if !errors.As(err, &bad) {
			t.Fatalf("bad skills: err = %v", err)
		}
		got := mustAccount(t, s, "agent1")
		if got.DisplayName != "王芳" || strings.Join(got.Skills, ",") != "housing,residence" || !got.Generalist {
			t.Fatalf("after a refused change: %+v", got)
		}
		if err := s.UpdateAgent(ctx, mustAccount(t, s, "supervisor1").ID, []string{"housing"}, false); !errors.As(err, &bad) {
			t.Fatalf("skills for a supervisor: err = %v", err)
		}
		if err := s.SetDisabled(ctx, "no-such-id", true); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown id: err = %v", err)
		}
	})
}

func TestSetPasswordEndsSessions(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db, newClock())
		old := mustLogin(t, s, "station1", DemoPassword)
		var bad *ValidationError
		if err := s.SetPassword(ctx, mustAccount(t, s, "station1").ID, "tiny"); !errors.As(err, &bad) {
			t.Fatalf("short password: err = %v", err)
		}
		mustLogin(t, s, "station1", DemoPassword) // the refused change kept the old one
		if err := s.SetPassword(ctx, mustAccount(t, s, "station1").ID, "a new device secret"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "station1", DemoPassword, ""); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("old password: err = %v", err)
		}
		mustLogin(t, s, "station1", "a new device secret")
		if _, err := s.Refresh(ctx, old.RefreshToken); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("refresh token from before the change: err = %v", err)
		}
	})
}

func TestLastAdminCannotBeDisabled(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db, newClock())
		admin := mustAccount(t, s, "admin")
		if err := s.SetDisabled(ctx, admin.ID, true); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("err = %v, want ErrLastAdmin", err)
		}
		second, err := s.CreateAccount(ctx, NewAccount{Username: "admin2", Password: "long enough", DisplayName: "二号", Role: identity.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetDisabled(ctx, admin.ID, true); err != nil {
			t.Fatalf("with a second admin: %v", err)
		}
		if err := s.SetDisabled(ctx, second.ID, true); !errors.Is(err, ErrLastAdmin) {
			t.Fatalf("disabling the remaining admin: err = %v, want ErrLastAdmin", err)
		}
	})
}

func TestAccountsByRole(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		s := seeded(t, db, newClock())
		stations, err := s.Accounts(context.Background(), identity.RoleStation)
		if err != nil {
			t.Fatal(err)
		}
		if len(stations) != 2 || stations[0].Username != "island1" || stations[1].Username != "station1" {
			t.Fatalf("stations = %+v", stations)
		}
		var bad *ValidationError
		if _, err := s.Accounts(context.Background(), "root"); !errors.As(err, &bad) {
			t.Fatalf("unknown role: err = %v", err)
		}
	})
}
