package rectify

import (
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/store"
)

var (
	station    = identity.Identity{AccountID: "st-1", Username: "station1", DisplayName: "东海帮办点", Role: identity.RoleStation}
	supervisor = identity.Identity{AccountID: "su-1", Username: "zhang", DisplayName: "张主管", Role: identity.RoleSupervisor}
	agent      = identity.Identity{AccountID: "ag-1", Username: "wang", DisplayName: "王芳", Role: identity.RoleAgent}
)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestService(t *testing.T, db *store.DB) (*Service, *audit.Log, *clock) {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	log := audit.New(db)
	return NewService(db, log, c.now, nil), log, c
}

func rating(callID string, score int) calls.Rating {
	return calls.Rating{CallID: callID, StationID: station.AccountID, AgentID: agent.AccountID, Score: score, Comment: "等太久"}
}
