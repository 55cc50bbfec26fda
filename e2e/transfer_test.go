package e2e

import (
	"testing"

	"cloudwindow/client"
)

// transferredCall starts a call of station1 with agent1 (the only agent
// ready) with media on both sides, and transfers it to the housing group,
// which agent1 does not serve.
func transferredCall(t *testing.T, station, agent1 *client.Client, item string) (callID string, sm, am *client.Media) {
	t.Helper()
	callID, sm, am = talkingCall(t, station, agent1, item)
	request(t, agent1, "call.transfer", map[string]string{"call_id": callID, "skill_group": "housing"})
	st := next(t, station, "call.transfer_status")
	if field[string](t, st, "state") != "transferring" || field[string](t, st, "message") != "正在为您转接…" {
		t.Fatalf("the resident is told %s", st.Data)
	}
	return callID, sm, am
}

// TestTransferIsAnsweredByAnotherGroup: the resident stays in the same
// call while on hold (no media from the first agent), the housing agent
// takes it, and the first agent leaves for wrap-up.
func TestTransferIsAnsweredByAnotherGroup(t *testing.T) {
	n := startNode(t, nil)
	station, agent1, agent2 := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "agent2")
	callID, sm, am := transferredCall(t, station, agent1, itemOf(t, n, "medical_insurance"))

	// On hold: the resident no longer receives the first agent.
	held := sm.Received()["agent-main/audio"]
	frames := 0
	sendUntil(t, []*client.Media{sm, am}, func() bool { frames++; return frames > 100 })
	// A few packets may have been on their way when the hold began.
	if got := sm.Received()["agent-main/audio"] - held; got > 10 {
		t.Errorf("the resident on hold received %d packets of the agent's audio", got)
	}
	ready(t, agent2)
	offer := next(t, agent2, "call.offer")
	if field[string](t, offer, "request_id") != callID {
		t.Fatalf("agent2 is offered %s, want the transferred call %s", offer.Data, callID)
	}
	started := request(t, agent2, "call.accept", map[string]string{"request_id": callID})
	if field[string](t, started, "call_id") != callID || field[string](t, started, "case_number") == "" {
		t.Fatalf("agent2 started %s, want call %s with its case", started.Data, callID)
	}
	if reason := field[string](t, next(t, agent1, "call.ended"), "reason"); reason != "transferred" {
		t.Errorf("agent1's call ended with %q, want transferred", reason)
	}
	if st := next(t, station, "call.transfer_status"); field[string](t, st, "state") != "answered" || field[string](t, st, "to") != "李明" {
		t.Errorf("the resident is told %s, want answered by 李明", st.Data)
	}
	am2, err := agent2.StartMedia(ctxT(t), callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, am2}, func() bool {
		return sm.Received()["agent-main/audio"] >= before+30 && am2.Received()["station-main/audio"] >= 30
	})
	// agent1 wraps up their part; the case stays open for agent2, who
	// ends the call and wraps it up.
	if got := request(t, agent1, "call.wrapup", map[string]string{"call_id": callID, "outcome": "done"}); got.Type != "ok" {
		t.Errorf("agent1's wrap-up of the transferred call answered %s %s, want ok", got.Type, got.Data)
	}
	request(t, agent2, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	updated := request(t, agent2, "call.wrapup", map[string]string{"call_id": callID, "outcome": "forwarded", "notes": "转后台审批"})
	if state := field[string](t, updated, "state"); state != "forwarded" {
		t.Errorf("agent2's wrap-up left the case %q, want forwarded", state)
	}
	waitTimeline(t, n, callID, "transfer", "offered", "transfer_answered")
}

// TestTransferComesBackWhenNobodyAnswers: nobody of the group takes the
// call within the ring timeout, so the resident is back with agent1.
func TestTransferComesBackWhenNobodyAnswers(t *testing.T) {
	n := startNode(t, nil)
	station, agent1, agent2 := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "agent2")
	_ = agent2 // online, so that housing can be served, but never ready
	callID, sm, am := transferredCall(t, station, agent1, itemOf(t, n, "medical_insurance"))
	if st := next(t, agent1, "call.transfer_status"); field[string](t, st, "state") != "transferring" {
		t.Fatalf("agent1 is told %s", st.Data)
	}
	if st := next(t, station, "call.transfer_status"); field[string](t, st, "state") != "returned" {
		t.Fatalf("the resident is told %s, want returned", st.Data)
	}
	next(t, agent1, "call.transfer_status")
	before := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, am}, func() bool { return sm.Received()["agent-main/audio"] >= before+30 })
	request(t, agent1, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitTimeline(t, n, callID, "transfer", "transfer_returned")
}

// talkingCall makes agent ready, starts a call of station with them about
// item, and returns once the resident hears the agent.
func talkingCall(t *testing.T, station, agent *client.Client, item string) (callID string, sm, am *client.Media) {
	t.Helper()
	ready(t, agent)
	callID = startCall(t, station, agent, item)
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	am, err = agent.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool { return sm.Received()["agent-main/audio"] >= 20 })
	return callID, sm, am
}
