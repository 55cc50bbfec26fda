package e2e

import (
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/recordings"
)

// fourPartyCall runs a call of station1 and agent1 into which the back
// office is consulted and merged, and a supervisor whispers; send drives
// all four media together and calls barge to have the supervisor barge in
// on the way; then the agent hangs up. It returns the call id once the
// recording is finished.
func fourPartyCall(t *testing.T, n *node.Node, send func(all []*client.Media, barge func())) string {
	t.Helper()
	station, agent, back, sv := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "backoffice1"), dial(t, n, "supervisor1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ctx := ctxT(t)
	start := func(c *client.Client) *client.Media {
		m, err := c.StartMedia(ctx, callID, client.MediaOptions{})
		if err != nil {
			t.Fatalf("start media: %v", err)
		}
		t.Cleanup(m.Close)
		return m
	}
	sm, am := start(station), start(agent)
	request(t, agent, "call.consult", map[string]string{"call_id": callID, "skill_group": "backoffice"})
	ready(t, back)
	next(t, back, "call.offer")
	request(t, back, "call.accept", map[string]string{"request_id": callID})
	bm := start(back)
	request(t, agent, "call.consult_end", map[string]string{"call_id": callID, "action": "merge"})

	watch, err := sv.Watch(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	request(t, sv, "call.supervise", map[string]string{"call_id": callID, "mode": "whisper"})
	watch.Close()
	vm := start(sv)
	all := []*client.Media{sm, am, bm, vm}
	waitConnected(t, all...)
	send(all, func() { request(t, sv, "call.supervise", map[string]string{"call_id": callID, "mode": "barge"}) })

	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	if err := n.Recorder.Wait(ctx, callID); err != nil {
		t.Fatalf("recording never finished: %v", err)
	}
	return callID
}

// TestRecordingOfFourPartyCall: the review of a call with the resident,
// the agent, the back office and a barging supervisor lists four finished
// media, one per party, that overlap on one clock, and its timeline has
// the joins, the hold, the consultation and the whisper.
func TestRecordingOfFourPartyCall(t *testing.T) {
	n := startNode(t, nil)
	callID := fourPartyCall(t, n, func(all []*client.Media, barge func()) {
		sendSynthetic(50, all...)
		barge()
		sendSynthetic(50, all...)
	})
	var d recordings.SessionDetail
	if code := api(t, n, "GET", "/api/v1/recordings/"+callID, token(t, n, "supervisor1"), nil, &d); code != 200 {
		t.Fatalf("session page = %d", code)
	}
	byParty := map[string]recordings.File{}
	for _, f := range d.Files {
		if f.Status == recordings.StatusFinished && f.DurationMs > 0 {
			byParty[f.Party] = f
		}
	}
	var latestStart, earliestEnd time.Time
	for _, party := range []string{"station", "agent", "consult", "supervisor"} {
		f, ok := byParty[party]
		if !ok {
			t.Fatalf("no finished media of %s among %+v", party, d.Files)
		}
		if latestStart.IsZero() || f.StartedAt.After(latestStart) {
			latestStart = f.StartedAt
		}
		if earliestEnd.IsZero() || f.EndedAt.Before(earliestEnd) {
			earliestEnd = f.EndedAt
		}
	}
	if !latestStart.Before(earliestEnd) {
		t.Errorf("the four media never play together: the last starts at %s, the first ends at %s", latestStart, earliestEnd)
	}
	types := map[string]bool{}
	for _, e := range d.Events {
		types[e.Type] = true
	}
	for _, want := range []string{"joined", "hold", "consult", "consult_merge", "supervisor_whisper", "supervisor_barge"} {
		if !types[want] {
			t.Errorf("the review's timeline has no %s: %+v", want, d.Events)
		}
	}
}
