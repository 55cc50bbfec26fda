package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

// standingConnections reads the node's count of open standing connections.
func standingConnections(t *testing.T, n *node.Node) float64 {
	t.Helper()
	return metricValue(t, n, "cloudwindow_media_standby_connections")
}

// standby connects c's standing media and checks the node counts it.
func standby(t *testing.T, n *node.Node, c *client.Client) *client.Media {
	t.Helper()
	m, err := c.StartStandby(ctxT(t), client.MediaOptions{})
	if err != nil {
		t.Fatalf("standby: %v", err)
	}
	t.Cleanup(m.Close)
	if got := standingConnections(t, n); got != 1 {
		t.Fatalf("standing connections after one stood by: %v, want 1", got)
	}
	return m
}

// closedStanding waits for c's standby.closed and checks its reason, that
// the node has no standing connection left and that the connection cannot
// be negotiated any more.
func closedStanding(t *testing.T, n *node.Node, c *client.Client, m *client.Media, reason string) {
	t.Helper()
	if got := field[string](t, next(t, c, "standby.closed"), "reason"); got != reason {
		t.Errorf("standby.closed says %q, want %q", got, reason)
	}
	if got := standingConnections(t, n); got != 0 {
		t.Errorf("standing connections after the node closed it: %v, want 0", got)
	}
	if err := m.RestartICE(ctxT(t)); err == nil {
		t.Error("the closed standing connection could still be renegotiated")
	}
}

// A request the queue gives up without the kiosk cancelling it (here the
// accept fails: calls must be recorded and cannot be) takes the kiosk's
// camera connection with it.
func TestAFailedRequestClosesTheStationsStandingConnection(t *testing.T) {
	dataDir := t.TempDir()
	n := startNode(t, func(c *node.Config) { c.DataDir, c.RequireRecording, c.PreconnectMedia = dataDir, true, true })
	breakRecordings(t, dataDir)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	queued := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, queued, "request_id")
	sm := standby(t, n, station)
	next(t, agent, "call.offer")
	if _, err := agent.Request(ctxT(t), "call.accept", map[string]string{"request_id": reqID}); client.ErrCode(err) != "recording_unavailable" {
		t.Fatalf("accept: %v, want recording_unavailable", err)
	}
	closedStanding(t, n, station, sm, "request_gone")
	if reason := field[string](t, next(t, station, "call.ended"), "reason"); reason != "failed" {
		t.Errorf("station told %q, want failed", reason)
	}
}

// A kiosk connects while it checks its link, before it queues: the call
// accepted right after the request is carried by that connection.
func TestAStationStandsByBeforeItQueues(t *testing.T) {
	n := startNode(t, preconnectOn)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	atAgent := &receivedLog{counts: map[string]int{}}
	sm := standby(t, n, station)
	ready(t, agent)
	am, err := agent.StartStandby(ctxT(t), client.MediaOptions{OnPacket: atAgent.onPacket})
	if err != nil {
		t.Fatalf("agent standby: %v", err)
	}
	t.Cleanup(am.Close)
	queued := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, queued, "request_id")
	next(t, agent, "call.offer")
	request(t, agent, "call.accept", map[string]string{"request_id": reqID})
	if !field[bool](t, next(t, station, "call.started"), "standby") {
		t.Fatal("the call did not adopt the connection the station made before it queued")
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		got, _ := atAgent.snapshot()
		return got["station-main/audio"] >= 20
	})
}

// A station's connection made before it queues closes when no request
// follows in time.
func TestAStandingConnectionWithoutARequestCloses(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.PreconnectMedia, c.StandbyBeforeQueue = true, 300*time.Millisecond })
	station := dial(t, n, "station1")
	sm := standby(t, n, station)
	closedStanding(t, n, station, sm, "request_gone")
}

func TestNotReadyClosesTheAgentsStandingConnection(t *testing.T) {
	n := startNode(t, preconnectOn)
	agent := dial(t, n, "agent1")
	ready(t, agent)
	am := standby(t, n, agent)
	request(t, agent, "agent.state", map[string]string{"state": "not_ready", "reason": "break"})
	closedStanding(t, n, agent, am, "not_ready")
}

// A consultation is taken on a connection of its own: the consulted
// agent's standing one closes on the node at once.
func TestTakingAConsultationClosesTheStandingConnection(t *testing.T) {
	n := startNode(t, preconnectOn)
	station, agent, back := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "backoffice1")
	callID, _, _ := talkingCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	request(t, agent, "call.consult", map[string]string{"call_id": callID, "skill_group": "backoffice"})
	ready(t, back)
	bm := standby(t, n, back)
	next(t, back, "call.offer")
	request(t, back, "call.accept", map[string]string{"request_id": callID})
	closedStanding(t, n, back, bm, "not_adopted")
}

// welcomeStandby reads whether a welcome says the node holds the session's
// standing connection.
func welcomeStandby(t *testing.T, c *client.Client) bool {
	t.Helper()
	var w struct {
		Standby bool `json:"standby"`
	}
	if err := json.Unmarshal(c.Welcome.Data, &w); err != nil {
		t.Fatalf("welcome: %v", err)
	}
	return w.Standby
}

// A kiosk back on its session learns whether the node still holds its
// standing connection, and makes a new one if not.
func TestTheWelcomeSaysWhetherTheStandingConnectionIsHeld(t *testing.T) {
	n := startNode(t, preconnectOn)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	if welcomeStandby(t, station) {
		t.Fatal("a fresh session's welcome says the node holds its standing connection")
	}
	request(t, agent, "agent.state", map[string]string{"state": "not_ready", "reason": "busy"})
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	standby(t, n, station)
	back, err := station.Resume(ctxT(t))
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	t.Cleanup(back.Close)
	if !welcomeStandby(t, back) {
		t.Error("the resumed kiosk is not told that the node still holds its standing connection")
	}
}
