package e2e

import (
	"net/http"
	"os"
	"testing"

	"cloudwindow/client"
)

// TestSupervisorWatchesACallOnAnotherNode has a supervisor signed in to
// node B list, watch and hear end a call whose room is on node A, and see
// node A's agent on the wallboard.
func TestSupervisorWatchesACallOnAnotherNode(t *testing.T) {
	a, b := startCluster(t)
	station, agent := dial(t, a, "station1"), dial(t, a, "agent1")
	supervisor := dial(t, b, "supervisor1")
	ready(t, agent)
	for {
		st := next(t, supervisor, "queue.stats")
		if field[map[string]int](t, st, "agents")["ready"] == 1 {
			break
		}
	}
	callID := startCall(t, station, agent, itemOf(t, a, "medical_insurance"))
	if a.SFU.Room(callID) == nil {
		t.Fatalf("the call's room is not on node A")
	}

	var live struct {
		Calls []struct {
			ID, Node string
		} `json:"calls"`
	}
	if code := api(t, b, "GET", "/api/v1/calls/live", token(t, b, "supervisor1"), nil, &live); code != http.StatusOK || len(live.Calls) != 1 || live.Calls[0].ID != callID {
		t.Fatalf("live calls on node B: %d %+v", code, live)
	}

	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	am, err := agent.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	watched := &receivedLog{counts: map[string]int{}}
	if _, err := supervisor.Watch(ctx, callID, client.MediaOptions{OnPacket: watched.onPacket}); err != nil {
		t.Fatalf("watch through node B: %v", err)
	}
	if _, err := supervisor.Request(ctx, "monitor.start", map[string]string{"call_id": callID}); client.ErrCode(err) != "invalid_state" {
		t.Errorf("second monitor.start: %v, want invalid_state", err)
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		got, _ := watched.snapshot()
		return got["station-main/camera"] >= 20 && got["agent-main/camera"] >= 20 &&
			got["station-main/audio"] >= 20 && got["agent-main/audio"] >= 20
	})
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, supervisor, "call.ended")
	if _, err := supervisor.Request(ctx, "monitor.start", map[string]string{"call_id": callID}); client.ErrCode(err) != "not_found" {
		t.Errorf("monitor.start of an ended call: %v, want not_found", err)
	}
}

// TestWallboardOfANodeThatJoinsLater checks that a supervisor on a node
// started after the agents signed in elsewhere sees them counted at once.
func TestWallboardOfANodeThatJoinsLater(t *testing.T) {
	redisURL := os.Getenv("CLOUDWINDOW_TEST_REDIS")
	if redisURL == "" {
		t.Skip("CLOUDWINDOW_TEST_REDIS is not set: no Redis for a cluster")
	}
	nodeCfg := clusterConfig(t, redisURL)
	a := startNode(t, nodeCfg("node-a"))
	ready(t, dial(t, a, "agent1"))
	ready(t, dial(t, a, "agent2"))
	c := startNode(t, nodeCfg("node-c"))
	st := next(t, dial(t, c, "supervisor1"), "queue.stats")
	if n := field[map[string]int](t, st, "agents")["ready"]; n != 2 {
		t.Errorf("wallboard on the later node counts %d agents ready, want 2 (on node A)", n)
	}
}
