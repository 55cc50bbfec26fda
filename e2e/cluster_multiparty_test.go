package e2e

import (
	"testing"

	"cloudwindow/client"
)

// TestTransferAnsweredOnAnotherNode: the call runs on node A; the named
// colleague on node B who rejects it gives it back to agent1 at once, and
// the back office on node B, who takes the next transfer (to its group),
// talks with the resident (audio both ways) and hangs up through node B.
func TestTransferAnsweredOnAnotherNode(t *testing.T) {
	a, b := startCluster(t)
	station, agent1 := dial(t, a, "station1"), dial(t, a, "agent1")
	agent2, back := dial(t, b, "agent2"), dial(t, b, "backoffice1")
	callID, sm, am := namedTransfer(t, station, agent1, []*client.Client{agent2, back}, itemOf(t, a, "medical_insurance"), "李明")
	if a.SFU.Room(callID) == nil {
		t.Fatalf("the call's room is not on node A")
	}
	next(t, agent2, "call.offer")
	request(t, agent2, "call.reject", map[string]string{"request_id": callID})
	if st := next(t, station, "call.transfer_status"); field[string](t, st, "state") != "returned" {
		t.Fatalf("after a rejection on node B the resident is told %s, want returned", st.Data)
	}
	before := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, am}, func() bool { return sm.Received()["agent-main/audio"] >= before+20 })

	request(t, agent1, "call.transfer", map[string]string{"call_id": callID, "skill_group": "backoffice"})
	next(t, station, "call.transfer_status")
	if id := field[string](t, next(t, back, "call.offer"), "request_id"); id != callID {
		t.Fatalf("the back office on node B is offered %s, want %s", id, callID)
	}
	started := request(t, back, "call.accept", map[string]string{"request_id": callID})
	if field[string](t, started, "call_id") != callID || field[string](t, started, "case_number") == "" {
		t.Fatalf("the back office on node B started %s, want call %s with its case", started.Data, callID)
	}
	if reason := field[string](t, next(t, agent1, "call.ended"), "reason"); reason != "transferred" {
		t.Errorf("agent1's call ended with %q, want transferred", reason)
	}
	bm, err := back.StartMedia(ctxT(t), callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("media of the agent on node B: %v", err)
	}
	before = sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, bm}, func() bool {
		return sm.Received()["agent-main/audio"] >= before+30 && bm.Received()["station-main/audio"] >= 30
	})
	request(t, back, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	next(t, back, "call.ended")
	waitAgentState(t, back, "wrap_up")
	waitTimeline(t, a, callID, "transfer", "rejected", "transfer_returned", "transfer_answered")
}

// TestConsultAcrossNodesThenMergeThenHandOver: the back office on node B
// takes a consultation of a call on node A; merged, the three hear each
// other; handed over, the back office handles the call from node B.
func TestConsultAcrossNodesThenMergeThenHandOver(t *testing.T) {
	a, b := startCluster(t)
	station, agent := dial(t, a, "station1"), dial(t, a, "agent1")
	back := dial(t, b, "backoffice1")
	callID, sm, am := talkingCall(t, station, agent, itemOf(t, a, "medical_insurance"))
	ctx := ctxT(t)
	ready(t, back)
	request(t, agent, "call.consult", map[string]string{"call_id": callID, "skill_group": "backoffice"})
	next(t, station, "call.hold")
	if id := field[string](t, next(t, back, "call.offer"), "request_id"); id != callID {
		t.Fatalf("the back office on node B is offered %s, want %s", id, callID)
	}
	if started := request(t, back, "call.accept", map[string]string{"request_id": callID}); field[string](t, started, "party") != "consult" {
		t.Fatalf("the back office on node B started %s", started.Data)
	}
	bm, err := back.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("media of the back office on node B: %v", err)
	}
	all := []*client.Media{sm, am, bm}
	sendUntil(t, all, func() bool {
		return am.Received()["consult-main/audio"] >= 30 && bm.Received()["agent-main/audio"] >= 30
	})
	if got := sm.Received()["consult-main/audio"]; got != 0 {
		t.Errorf("the resident on hold received %d packets of the back office", got)
	}

	request(t, agent, "call.consult_end", map[string]string{"call_id": callID, "action": "merge"})
	sendUntil(t, all, func() bool {
		return sm.Received()["consult-main/audio"] >= 30 && bm.Received()["station-main/audio"] >= 30 &&
			am.Received()["station-main/audio"] >= 30
	})

	request(t, agent, "call.consult_end", map[string]string{"call_id": callID, "action": "handover"})
	if reason := field[string](t, next(t, agent, "call.ended"), "reason"); reason != "handed_over" {
		t.Errorf("the first agent's call ended with %q, want handed_over", reason)
	}
	before := sm.Received()["consult-main/audio"]
	sendUntil(t, []*client.Media{sm, bm}, func() bool { return sm.Received()["consult-main/audio"] >= before+20 })
	request(t, back, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitTimeline(t, a, callID, "consult", "consult_answered", "consult_merge", "consult_handover")
}

// TestWhisperFromAnotherNode: a supervisor on node B watching a call on
// node A whispers; the agent receives the supervisor's audio and the
// resident's client not one packet of it. Then the supervisor takes the
// call over, is heard by the resident, and hangs up through node B.
func TestWhisperFromAnotherNode(t *testing.T) {
	a, b := startCluster(t)
	station, agent := dial(t, a, "station1"), dial(t, a, "agent1")
	supervisor := dial(t, b, "supervisor1")
	callID, sm, am := talkingCall(t, station, agent, itemOf(t, a, "medical_insurance"))
	ctx := ctxT(t)
	watch, err := supervisor.Watch(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("watch through node B: %v", err)
	}
	request(t, supervisor, "call.supervise", map[string]string{"call_id": callID, "mode": "whisper"})
	watch.Close()
	supm, err := supervisor.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("the supervisor on node B offers the microphone: %v", err)
	}
	heard := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, am, supm}, func() bool {
		return am.Received()["supervisor-main/audio"] >= 50 && sm.Received()["agent-main/audio"] >= heard+50
	})
	if got := sm.Received()["supervisor-main/audio"]; got != 0 {
		t.Fatalf("the resident received %d packets of the whisper from node B", got)
	}

	request(t, supervisor, "call.supervise", map[string]string{"call_id": callID, "mode": "takeover"})
	if reason := field[string](t, next(t, agent, "call.ended"), "reason"); reason != "taken_over" {
		t.Errorf("the agent's call ended with %q, want taken_over", reason)
	}
	sendUntil(t, []*client.Media{sm, supm}, func() bool { return sm.Received()["supervisor-main/audio"] >= 30 })
	request(t, supervisor, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	next(t, supervisor, "call.ended")
	waitTimeline(t, a, callID, "supervisor_whisper", "supervisor_takeover")
}
