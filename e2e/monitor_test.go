package e2e

import (
	"net/http"
	"testing"

	"cloudwindow/client"
)

func TestSupervisorWatchesALiveCall(t *testing.T) {
	n := startNode(t, nil)
	station, agent, supervisor := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "supervisor1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))

	var live struct {
		Calls []struct {
			ID string `json:"id"`
		} `json:"calls"`
	}
	if code := api(t, n, "GET", "/api/v1/calls/live", token(t, n, "supervisor1"), nil, &live); code != http.StatusOK || len(live.Calls) != 1 || live.Calls[0].ID != callID {
		t.Fatalf("live calls: %d %+v", code, live)
	}
	if code := api(t, n, "GET", "/api/v1/calls/live", token(t, n, "agent1"), nil, nil); code != http.StatusForbidden {
		t.Errorf("agent lists live calls: %d, want 403", code)
	}
	if _, err := agent.Request(ctxT(t), "monitor.start", map[string]string{"call_id": callID}); client.ErrCode(err) != "forbidden" {
		t.Errorf("agent monitor.start: %v, want forbidden", err)
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
		t.Fatalf("watch: %v", err)
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		got, _ := watched.snapshot()
		return got["station-main/camera"] >= 20 && got["agent-main/camera"] >= 20 &&
			got["station-main/audio"] >= 20 && got["agent-main/audio"] >= 20
	})
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, supervisor, "call.ended")
}
