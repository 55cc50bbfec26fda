package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/auth"
	"cloudwindow/identity"
	"cloudwindow/stationlink"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func admin(t *testing.T, s *auth.Service, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := runAdmin(context.Background(), s, args, &out)
	return out.String(), err
}

// accounts opens the accounts service on db with cheap hashing, with the
// demo accounts when demo is set.
func accounts(t *testing.T, db *store.DB, demo bool) *auth.Service {
	t.Helper()
	s, err := auth.NewService(db, auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	if demo {
		if err := s.SeedDemo(context.Background()); err != nil {
			t.Fatalf("seed demo: %v", err)
		}
	}
	return s
}

func mustLogin(t *testing.T, s *auth.Service, username, password string) auth.Tokens {
	t.Helper()
	tok, err := s.Login(context.Background(), username, password, "127.0.0.1")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return tok
}

func mustAccount(t *testing.T, s *auth.Service, username string) auth.Account {
	t.Helper()
	a, err := s.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("account %s: %v", username, err)
	}
	return a
}

func countAccounts(t *testing.T, s *auth.Service) int {
	t.Helper()
	all, err := s.Accounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
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
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := accounts(t, db, false)
		out, err := admin(t, s, "create-station", "--username", "dh-kiosk-2", "--name", "东海社区远程帮办点二号",
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
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := accounts(t, db, false)
		if _, _, err := s.EnsureAdmin(ctx); err != nil {
			t.Fatal(err)
		}
		out, err := admin(t, s, "create-agent", "--username", "agent7", "--name", "陈静", "--skills", "civil_affairs, disability")
		if err != nil {
			t.Fatalf("create-agent: %v\n%s", err, out)
		}
		password := printed(t, out, "password")
		agent := mustAccount(t, s, "agent7")
		if strings.Join(agent.Skills, ",") != "civil_affairs,disability" || agent.Generalist {
			t.Fatalf("agent = %+v", agent)
		}
		if out, err := admin(t, s, "create-supervisor", "--username", "boss", "--name", "周主任"); err != nil {
			t.Fatalf("create-supervisor: %v\n%s", err, out)
		}

		out, err = admin(t, s, "list", "--role", "agent")
		if err != nil || !strings.Contains(out, "agent7") || !strings.Contains(out, "civil_affairs,disability") || strings.Contains(out, "boss") {
			t.Fatalf("list --role agent (err %v):\n%s", err, out)
		}

		if _, err := admin(t, s, "disable", "--username", "agent7"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Login(ctx, "agent7", password, ""); !errors.Is(err, auth.ErrDisabled) {
			t.Fatalf("login after disable: err = %v", err)
		}
		if _, err := admin(t, s, "enable", "--username", "agent7"); err != nil {
			t.Fatal(err)
		}
		out, err = admin(t, s, "reset-password", "--username", "agent7")
		if err != nil {
			t.Fatal(err)
		}
		mustLogin(t, s, "agent7", printed(t, out, "new password for agent7"))
		if _, err := s.Login(ctx, "agent7", password, ""); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("old password after reset: err = %v", err)
		}
	})
}

func TestRunAdminRefusesBadInput(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := accounts(t, db, true)
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
			if out, err := admin(t, s, args...); err == nil {
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

// An admin marks a station as low bandwidth from the command line; a person's
// account or an unknown profile is refused and changes nothing.
func TestAdminMarksStationLink(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := accounts(t, db, true)
		links := stationlink.NewStore(db)
		run := func(args ...string) (string, error) {
			var out bytes.Buffer
			err := cliStationLink(context.Background(), s, links, args, &out)
			return out.String(), err
		}
		if out, err := run("--username", "station1"); err != nil || !strings.Contains(out, "station1: standard") {
			t.Fatalf("unmarked station shows %q, %v", out, err)
		}
		if out, err := run("--username", "station1", "--profile", "low_bandwidth"); err != nil || !strings.Contains(out, "low_bandwidth") {
			t.Fatalf("marking: %q, %v", out, err)
		}
		if _, err := run("--username", "station1", "--profile", "fast"); err == nil {
			t.Error("an unknown profile was accepted")
		}
		if _, err := run("--username", "agent1", "--profile", "low_bandwidth"); err == nil {
			t.Error("an agent was given a link profile")
		}
		a, _ := s.AccountByUsername(context.Background(), "station1")
		if l, _ := links.Get(context.Background(), a.ID); l.Profile != stationlink.LowBandwidth {
			t.Errorf("profile after a refused change: %s", l.Profile)
		}
	})
}
