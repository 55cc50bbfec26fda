package auth

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"cloudwindow/store"

	"cloudwindow/identity"
)

func runAdmin(t *testing.T, s *Service, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := RunAdmin(context.Background(), s, args, &out)
	return out.String(), err
}

// printed returns the value after label on a line of out.
func printed(t *testing.T, out, label string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label) + `: (\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in output:\n%s", label, out)
	}
	return m[1]
}

func TestRunAdminCreateStationThenLogin(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		s := newTestService(t, db, newClock())
		out, err := runAdmin(t, s, "create-station", "--username", "dh-kiosk-2", "--name", "东海社区远程帮办点二号",
			"--region", "沈家门街道", "--island")
		if err != nil {
			t.Fatalf("create-station: %v\n%s", err, out)
		}
		tok := mustLogin(t, s, "dh-kiosk-2", printed(t, out, "device secret"))
		id, err := s.Verify(context.Background(), tok.Token)
		if err != nil || id.Role != identity.RoleStation || !id.Island || id.DisplayName != "东海社区远程帮办点二号" {
			t.Fatalf("identity %+v, err %v", id, err)
		}
	})
}

func TestRunAdminPeople(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newTestService(t, db, newClock())
		if _, _, err := s.EnsureAdmin(ctx); err != nil {
			t.Fatal(err)
		}
		out, err := runAdmin(t, s, "create-agent", "--username", "agent7", "--name", "陈静", "--skills", "civil_affairs, disability")
		if err != nil {
			t.Fatalf("create-agent: %v\n%s", err, out)
		}
		password := printed(t, out, "password")
		agent := mustAccount(t, s, "agent7")
		if strings.Join(agent.Skills, ",") != "civil_affairs,disability" || agent.Generalist {
			t.Fatalf("agent = %+v", agent)
		}
		if out, err := runAdmin(t, s, "create-supervisor", "--username", "boss", "--name", "周主任"); err != nil {
			t.Fatalf("create-supervisor: %v\n%s", err, out)
		}

		out, err = runAdmin(t, s, "list", "--role", "agent")
		if err != nil || !strings.Contains(out, "agent7") || !strings.Contains(out, "civil_affairs,disability") || strings.Contains(out, "boss") {
			t.Fatalf("list --role agent (err %v):\n%s", err, out)
		}

		if _, err := runAdmin(t, s, "disable", "--username", "agent7"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "agent7", password, ""); !errors.Is(err, ErrDisabled) {
			t.Fatalf("login after disable: err = %v", err)
		}
		if _, err := runAdmin(t, s, "enable", "--username", "agent7"); err != nil {
			t.Fatal(err)
		}
		out, err = runAdmin(t, s, "reset-password", "--username", "agent7")
		if err != nil {
			t.Fatal(err)
		}
		mustLogin(t, s, "agent7", printed(t, out, "new password for agent7"))
		if _, err := s.Login(ctx, "agent7", password, ""); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("old password after reset: err = %v", err)
		}
	})
}

func TestRunAdminRefusesBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		s := seeded(t, db, newClock())
		before := countAccounts(t, s)
		tests := [][]string{
			{},
			{"frobnicate"},
			{"create-station", "--username", "k1", "--name", "站"}, // no region
			{"create-station", "--username", "k1", "--name", "站", "--region", "r", "extra"},
			{"create-agent", "--username", "a9", "--name", "人", "--skills", "astrology"},
			{"create-agent", "--username", "a9", "--name", "人"}, // no skills, not generalist
			{"create-agent", "--username", "agent1", "--name", "重复", "--generalist"},
			{"create-supervisor", "--username", "s9", "--name", "人", "--skills", "elderly"}, // unknown flag
			{"list", "--role", "root"},
			{"disable"},
			{"disable", "--username", "ghost"},
			{"disable", "--username", "admin"}, // the last admin
		}
		for _, args := range tests {
			if out, err := runAdmin(t, s, args...); err == nil {
				t.Errorf("%q succeeded:\n%s", args, out)
			}
		}
		if after := countAccounts(t, s); after != before {
			t.Fatalf("bad commands created accounts: %d before, %d after", before, after)
		}
		if mustAccount(t, s, "admin").Disabled {
			t.Fatal("the last admin was disabled")
		}
	})
}
