package e2e

import (
	"context"
	"testing"
	"time"
)

// TestSessionResumesOnAnotherNode: with two nodes sharing Redis, a station
// and then an agent in a call each come back on the other node (as after
// a reload the load balancer sent elsewhere): same session, same call, the
// call moves with its agent, and audio flows both ways after each.
func TestSessionResumesOnAnotherNode(t *testing.T) {
	a, b := startCluster(t)
	fc := &failCall{
		station: &failParty{name: "station1", password: "demo"},
		agent:   &failParty{name: "agent2", password: "demo"},
		stop:    make(chan struct{}), done: make(chan struct{}),
	}
	loginDial(t, a.URL(), fc.station)
	loginDial(t, a.URL(), fc.agent)
	ready(t, fc.agent.c)
	fc.id, fc.caseID = startCaseCall(t, fc.station.c, fc.agent.c)
	startFailMedia(t, fc)
	waitHeard(t, fc, 20, 20*time.Second)

	fc.station.reload(t, b.URL(), fc.id, false)
	waitHeard(t, fc, 20, 20*time.Second)

	fc.agent.reload(t, b.URL(), fc.id, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	started, err := fc.station.recover(ctx, fc.id, true)
	if err != nil {
		t.Fatal(err)
	}
	if started["case_id"] != fc.caseID {
		t.Fatalf("call %s moved with case %v, want %s", fc.id, started["case_id"], fc.caseID)
	}
	waitHeard(t, fc, 20, 20*time.Second)
	if c, err := b.Calls.Get(ctxT(t), fc.id); err != nil || c.Node != "node-b" || !c.EndedAt.IsZero() {
		t.Fatalf("call record after its agent moved: %+v %v", c, err)
	}
}
