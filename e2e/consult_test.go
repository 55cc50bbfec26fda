package e2e

import (
	"testing"

	"cloudwindow/client"
)

// TestConsultTheBackOfficeThenMergeThenHandOver: the agent puts the
// resident on hold and asks the back office; the resident gets the hold
// screen and no media while the two agents talk; merged, all three hear
// each other and the resident is shown who is in the call; handed over,
// the first agent leaves and the back-office agent handles the call.
func TestConsultTheBackOfficeThenMergeThenHandOver(t *testing.T) {
	n := startNode(t, nil)
	station, agent, back := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "backoffice1")
	callID, sm, am := talkingCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ctx := ctxT(t)

	request(t, agent, "call.consult", map[string]string{"call_id": callID, "skill_group": "backoffice"})
	if hold := next(t, station, "call.hold"); !field[bool](t, hold, "held") || field[string](t, hold, "message") == "" {
		t.Fatalf("the resident is told %s, want the hold screen", hold.Data)
	}
	ready(t, back)
	if id := field[string](t, next(t, back, "call.offer"), "request_id"); id != callID {
		t.Fatalf("the back office is offered %s, want call %s", id, callID)
	}
	started := request(t, back, "call.accept", map[string]string{"request_id": callID})
	if field[string](t, started, "party") != "consult" || field[string](t, started, "case_number") == "" {
		t.Fatalf("the back office started %s", started.Data)
	}
	bm, err := back.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := []*client.Media{sm, am, bm}
	held := sm.Received()["agent-main/audio"]
	sendUntil(t, all, func() bool {
		return am.Received()["consult-main/audio"] >= 50 && bm.Received()["agent-main/audio"] >= 50
	})
	if got := sm.Received()["agent-main/audio"] - held; got > 10 {
		t.Errorf("the resident on hold received %d packets of the agent", got)
	}
	if got := sm.Received()["consult-main/audio"]; got != 0 {
		t.Errorf("the resident on hold received %d packets of the back office", got)
	}

	request(t, agent, "call.consult_end", map[string]string{"call_id": callID, "action": "merge"})
	if hold := next(t, station, "call.hold"); field[bool](t, hold, "held") {
		t.Fatalf("the resident is still on hold after the merge: %s", hold.Data)
	}
	shown := field[[]map[string]string](t, next(t, station, "call.participants"), "participants")
	for len(shown) != 3 {
		shown = field[[]map[string]string](t, next(t, station, "call.participants"), "participants")
	}
	roles := map[string]string{}
	for _, p := range shown {
		roles[p["role"]] = p["name"]
	}
	if roles["consulted"] != "赵静" || roles["agent"] != "王芳" {
		t.Errorf("the resident is shown %v", shown)
	}
	sendUntil(t, all, func() bool {
		return sm.Received()["consult-main/audio"] >= 30 && bm.Received()["station-main/audio"] >= 30
	})

	request(t, agent, "call.consult_end", map[string]string{"call_id": callID, "action": "handover"})
	if reason := field[string](t, next(t, agent, "call.ended"), "reason"); reason != "handed_over" {
		t.Errorf("the first agent's call ended with %q, want handed_over", reason)
	}
	waitAgentState(t, agent, "wrap_up")
	request(t, back, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitTimeline(t, n, callID, "hold", "consult", "consult_answered", "consult_merge", "consult_handover")
}
