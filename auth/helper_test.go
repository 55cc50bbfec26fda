package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// TestCheckHelperTakesOnlyAHelpersPINAndSlowsGuessing: the kiosk's helper
// check knows helpers only, answers everyone else like a wrong PIN, slows
// a kiosk guessing a PIN like a login, and a helper's PIN logs in nowhere.
func TestCheckHelperTakesOnlyAHelpersPINAndSlowsGuessing(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		s := limitedService(t, db, clk, nil)
		id, err := s.CheckHelper(ctx, "helper1", DemoHelperPIN, "station-1")
		if err != nil || id.Role != identity.RoleHelper || id.DisplayName != "东海渔嫂" {
			t.Fatalf("helper1 with the right PIN: %+v %v", id, err)
		}
		for _, tc := range []struct{ user, pin string }{
			{"helper1", "1357"}, {"agent1", DemoPassword}, {"nobody", DemoHelperPIN},
		} {
			if _, err := s.CheckHelper(ctx, tc.user, tc.pin, "station-2"); !errors.Is(err, ErrBadCredentials) {
				t.Errorf("%s/%s: %v, want bad credentials", tc.user, tc.pin, err)
			}
		}
		if _, err := s.Login(ctx, "helper1", DemoHelperPIN, "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
			t.Errorf("a helper logs in with their PIN: %v", err)
		}
		for range 4 { // the limits let 3 failures through
			s.CheckHelper(ctx, "helper1", "0000", "station-3")
		}
		if _, err := s.CheckHelper(ctx, "helper1", DemoHelperPIN, "station-3"); retryAfter(t, err) <= 0 {
			t.Errorf("a kiosk guessing a PIN is not slowed down: %v", err)
		}
		clk.Advance(time.Minute)
		if _, err := s.CheckHelper(ctx, "helper1", DemoHelperPIN, "station-3"); err != nil {
			t.Errorf("the right PIN after the wait: %v", err)
		}
	})
}
