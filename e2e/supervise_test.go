package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/client"
	"cloudwindow/node"
)

// TestSupervisorWhispersBargesAndTakesOver checks the media itself: while
// the supervisor whispers, the agent receives their audio and the
// resident's client receives no packet of it; after a barge the resident
// hears them too; after a take-over the agent is out and the call goes on
// between the resident and the supervisor. Each step is audited and on the
// call's timeline.
func TestSupervisorWhispersBargesAndTakesOver(t *testing.T) {
	n := startNode(t, nil)
	station, agent, supervisor := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "supervisor1")
	callID, sm, am := talkingCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ctx := ctxT(t)
	watch, err := supervisor.Watch(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if _, err := agent.Request(ctx, "call.supervise", map[string]string{"call_id": callID, "mode": "whisper"}); client.ErrCode(err) != "forbidden" {
		t.Errorf("an agent's call.supervise: %v, want forbidden", err)
	}

	request(t, supervisor, "call.supervise", map[string]string{"call_id": callID, "mode": "whisper"})
	watch.Close()
	supm, err := supervisor.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("supervisor offers the microphone: %v", err)
	}
	all := []*client.Media{sm, am, supm}
	heardBefore := sm.Received()["agent-main/audio"]
	sendUntil(t, all, func() bool {
		return am.Received()["supervisor-main/audio"] >= 50 && sm.Received()["agent-main/audio"] >= heardBefore+50 &&
			supm.Received()["station-main/audio"] >= 20
	})
	if got := sm.Received()["supervisor-main/audio"]; got != 0 {
		t.Fatalf("the resident received %d packets of the whisper", got)
	}
	if got := am.Received()["supervisor-main/camera"]; got != 0 {
		t.Errorf("the agent received %d packets of the supervisor's camera during a whisper", got)
	}

	request(t, supervisor, "call.supervise", map[string]string{"call_id": callID, "mode": "barge"})
	sendUntil(t, all, func() bool {
		return sm.Received()["supervisor-main/audio"] >= 20 && sm.Received()["supervisor-main/camera"] >= 20
	})
	shown := field[[]map[string]string](t, next(t, station, "call.participants"), "participants")
	for len(shown) != 3 {
		shown = field[[]map[string]string](t, next(t, station, "call.participants"), "participants")
	}

	request(t, supervisor, "call.supervise", map[string]string{"call_id": callID, "mode": "takeover"})
	if reason := field[string](t, next(t, agent, "call.ended"), "reason"); reason != "taken_over" {
		t.Errorf("the agent's call ended with %q, want taken_over", reason)
	}
	waitAgentState(t, agent, "wrap_up")
	before := sm.Received()["supervisor-main/audio"]
	sendUntil(t, []*client.Media{sm, supm}, func() bool {
		return sm.Received()["supervisor-main/audio"] >= before+50
	})
	request(t, supervisor, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")

	entries, err := n.Audit.List(context.Background(), audit.Filter{ObjectType: "call", ObjectID: callID})
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]bool{}
	for _, e := range entries {
		audited[e.Action] = true
	}
	for _, want := range []string{"call.whisper", "call.barge", "call.takeover"} {
		if !audited[want] {
			t.Errorf("%s is not audited: %+v", want, entries)
		}
	}
	waitTimeline(t, n, callID, "supervisor_whisper", "supervisor_barge", "supervisor_takeover")
}

// waitTimeline waits until the call's timeline holds every event type in
// types (events are written in the background).
func waitTimeline(t *testing.T, n *node.Node, callID string, types ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		events, err := n.Calls.Events(context.Background(), callID)
		if err != nil {
			t.Fatal(err)
		}
		missing := slices.DeleteFunc(slices.Clone(types), func(typ string) bool {
			return slices.ContainsFunc(events, func(e calls.Event) bool { return e.Type == typ })
		})
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v not on the call's timeline %+v", missing, events)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
