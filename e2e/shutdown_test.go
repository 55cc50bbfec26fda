package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"cloudwindow/calls"
	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/store"
)

func TestShutdownEndsCallsCleanlyAndKeepsTheRecord(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, func(c *node.Config) { c.DataDir = dir })
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	closed := make(chan struct{})
	go func() { n.Close(); close(closed) }()
	for _, c := range []*client.Client{station, agent} {
		if r := field[string](t, next(t, c, "call.ended"), "reason"); r != "shutdown" {
			t.Errorf("call.ended reason %q, want shutdown", r)
		}
		<-c.Done()
	}
	<-closed
	db, err := store.Open(context.Background(), filepath.Join(dir, "cloudwindow.db"))
	if err != nil {
		t.Fatalf("reopen store: %v", err)
	}
	defer db.Close()
	rec, err := calls.NewStore(db).Get(context.Background(), callID)
	if err != nil || rec.EndReason != "shutdown" || rec.EndedAt.IsZero() {
		t.Errorf("call after shutdown: %+v %v", rec, err)
	}
}
