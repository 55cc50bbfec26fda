package e2e

import (
	"context"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

// colleagueID asks agent.colleagues as agent and returns the id of the
// colleague called name, failing if they are not listed with skills.
func colleagueID(t *testing.T, agent *client.Client, name string) string {
	t.Helper()
	list := field[[]struct {
		ID     string   `json:"id"`
		Name   string   `json:"name"`
		Skills []string `json:"skills"`
	}](t, request(t, agent, "agent.colleagues", nil), "colleagues")
	for _, c := range list {
		if c.Name == name && c.ID != "" {
			return c.ID
		}
	}
	t.Fatalf("%s is not among the ready colleagues %+v", name, list)
	return ""
}

// TestTransferToNamedAgentIsAnswered: agent1 picks 赵静 by name from the
// ready colleagues; the offer rings her only (李明, ready and a generalist,
// is not offered it); she takes it, agent1 leaves for wrap-up, and she
// and the resident hear each other in the same call.
func TestTransferToNamedAgentIsAnswered(t *testing.T) {
	n := startNode(t, nil)
	station, agent1 := dial(t, n, "station1"), dial(t, n, "agent1")
	agent2, back := dial(t, n, "agent2"), dial(t, n, "backoffice1")
	callID, sm, _ := namedTransfer(t, station, agent1, []*client.Client{agent2, back}, itemOf(t, n, "medical_insurance"), "赵静")

	if id := field[string](t, next(t, back, "call.offer"), "request_id"); id != callID {
		t.Fatalf("赵静 is offered %s, want the transferred call %s", id, callID)
	}
	started := request(t, back, "call.accept", map[string]string{"request_id": callID})
	if field[string](t, started, "call_id") != callID || field[string](t, started, "case_number") == "" {
		t.Fatalf("赵静 started %s, want call %s with its case", started.Data, callID)
	}
	if reason := field[string](t, next(t, agent1, "call.ended"), "reason"); reason != "transferred" {
		t.Errorf("agent1's call ended with %q, want transferred", reason)
	}
	if st := next(t, station, "call.transfer_status"); field[string](t, st, "state") != "answered" || field[string](t, st, "to") != "赵静" {
		t.Errorf("the resident is told %s, want answered by 赵静", st.Data)
	}
	noMessage(t, agent2, "call.offer")
	bm, err := back.StartMedia(ctxT(t), callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, bm}, func() bool {
		return sm.Received()["agent-main/audio"] >= before+30 && bm.Received()["station-main/audio"] >= 30
	})
	request(t, back, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitTimeline(t, n, callID, "transfer", "transfer_answered")
}

// TestTransferToNamedAgentComesBackWhenRejected: the named colleague
// rejects the offer, and the resident is back with agent1 at once, with
// media again; nobody else is offered the call.
func TestTransferToNamedAgentComesBackWhenRejected(t *testing.T) {
	n := startNode(t, nil)
	station, agent1 := dial(t, n, "station1"), dial(t, n, "agent1")
	agent2, back := dial(t, n, "agent2"), dial(t, n, "backoffice1")
	callID, sm, am := namedTransfer(t, station, agent1, []*client.Client{agent2, back}, itemOf(t, n, "medical_insurance"), "李明")

	if id := field[string](t, next(t, agent2, "call.offer"), "request_id"); id != callID {
		t.Fatalf("李明 is offered %s, want %s", id, callID)
	}
	request(t, agent2, "call.reject", map[string]string{"request_id": callID})
	if st := next(t, station, "call.transfer_status"); field[string](t, st, "state") != "returned" {
		t.Fatalf("the resident is told %s, want returned", st.Data)
	}
	noMessage(t, back, "call.offer")
	before := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, am}, func() bool { return sm.Received()["agent-main/audio"] >= before+30 })
	if _, err := agent1.Request(ctxT(t), "call.transfer", map[string]string{"call_id": callID, "to_agent": "nobody"}); client.ErrCode(err) != "no_agents" {
		t.Errorf("a transfer to an agent who is not ready: %v, want no_agents", err)
	}
	request(t, agent1, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitTimeline(t, n, callID, "transfer", "rejected", "transfer_returned")
}

// TestTransferToNamedAgentComesBackWhenNotAnswered: the named colleague
// lets the offer ring out; the call comes back to agent1 after the ring
// timeout, and nobody else was offered it.
func TestTransferToNamedAgentComesBackWhenNotAnswered(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.RingTimeout = 2 * time.Second })
	station, agent1 := dial(t, n, "station1"), dial(t, n, "agent1")
	agent2, back := dial(t, n, "agent2"), dial(t, n, "backoffice1")
	callID, sm, am := namedTransfer(t, station, agent1, []*client.Client{agent2, back}, itemOf(t, n, "medical_insurance"), "李明")
	next(t, agent2, "call.offer")
	if st := next(t, station, "call.transfer_status"); field[string](t, st, "state") != "returned" {
		t.Fatalf("the resident is told %s, want returned", st.Data)
	}
	noMessage(t, back, "call.offer")
	before := sm.Received()["agent-main/audio"]
	sendUntil(t, []*client.Media{sm, am}, func() bool { return sm.Received()["agent-main/audio"] >= before+30 })
	request(t, agent1, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	waitTimeline(t, n, callID, "transfer", "transfer_returned")
}

// namedTransfer starts a call of station with agent1 about item, makes the
// others ready, and transfers the call to the colleague called name.
func namedTransfer(t *testing.T, station, agent1 *client.Client, others []*client.Client, item, name string) (callID string, sm, am *client.Media) {
	t.Helper()
	callID, sm, am = talkingCall(t, station, agent1, item)
	for _, o := range others {
		ready(t, o)
	}
	to := colleagueID(t, agent1, name)
	request(t, agent1, "call.transfer", map[string]string{"call_id": callID, "to_agent": to})
	st := next(t, station, "call.transfer_status")
	if field[string](t, st, "state") != "transferring" || field[string](t, st, "message") != "正在为您转接…" {
		t.Fatalf("the resident is told %s", st.Data)
	}
	return callID, sm, am
}

// noMessage fails if c receives a message of type typ within a moment.
func noMessage(t *testing.T, c *client.Client, typ string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if m, err := c.Next(ctx, typ); err == nil {
		t.Errorf("unexpected %s: %s", typ, m.Data)
	}
}
