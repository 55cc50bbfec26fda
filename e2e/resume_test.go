package e2e

import (
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

func TestDroppedSocketResumesTheSameCall(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	w, _ := client.Decode[map[string]any](station.Welcome)
	sid, rtok := w["session_id"].(string), w["resume_token"].(string)

	station.Close() // the island link drops
	ctx := ctxT(t)
	token, _ := client.Login(ctx, n.URL(), "station1", "demo")
	back, err := client.Dial(ctx, n.URL(), token, sid, rtok)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	t.Cleanup(back.Close)
	resumed, _ := client.Decode[struct {
		Resumed bool `json:"resumed"`
		Call    *struct {
			CallID string `json:"call_id"`
		} `json:"call"`
	}](back.Welcome)
	if !resumed.Resumed || resumed.Call == nil || resumed.Call.CallID != callID {
		t.Fatalf("welcome after resume: %s", back.Welcome.Data)
	}
	// The call goes on: chat reaches the agent, and hang-up ends it for both.
	request(t, back, "chat.send", map[string]string{"call_id": callID, "text": "我回来了"})
	if txt := field[string](t, next(t, agent, "chat.message"), "text"); txt != "我回来了" {
		t.Errorf("agent got chat %q", txt)
	}
	request(t, back, "call.hangup", map[string]string{"call_id": callID})
	next(t, agent, "call.ended")
}

func TestStationThatDoesNotComeBackEndsTheCall(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ResumeGrace = 200 * time.Millisecond })
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	station.Close()
	ended := next(t, agent, "call.ended")
	if field[string](t, ended, "reason") != "disconnected" || field[string](t, ended, "call_id") != callID {
		t.Errorf("call.ended %s", ended.Data)
	}
	if n.SFU.Room(callID) != nil {
		t.Errorf("room still open")
	}
}

func TestWaitingStationThatLeavesIsRemovedFromQueue(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ResumeGrace = 200 * time.Millisecond })
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	station.Close()
	for field[int](t, next(t, agent, "queue.stats"), "waiting") != 0 {
	}
}
