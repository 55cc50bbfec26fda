package auth

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/store/storetest"
)

// The operator finds failed logins in the node's log, not in whatever the
// process-wide logger happens to be.
func TestFailedLoginIsLoggedToTheGivenLogger(t *testing.T) {
	var logged strings.Builder
	s, err := NewService(storetest.OpenSQLite(t), Options{
		BcryptCost: bcrypt.MinCost, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
	})
	if err != nil {
		t.Fatalf("new service: %v", err)
	}
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	if _, err := s.Login(context.Background(), "agent1", "wrong", "192.0.2.7"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	if out := logged.String(); !strings.Contains(out, "login failed") || !strings.Contains(out, "192.0.2.7") {
		t.Fatalf("log has no failed login:\n%s", out)
	}
}
