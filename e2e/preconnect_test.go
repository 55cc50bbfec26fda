package e2e

import (
	"errors"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"cloudwindow/client"
	"cloudwindow/node"
)

func preconnectOn(c *node.Config) { c.PreconnectMedia = true }

// standingPair connects agent (ready) and station (queued) ahead of the
// call and returns the request id once both standing connections are up.
func standingPair(t *testing.T, n *node.Node, station, agent *client.Client, atStation, atAgent *receivedLog) (reqID string, sm, am *client.Media) {
	t.Helper()
	ready(t, agent)
	ctx := ctxT(t)
	am, err := agent.StartStandby(ctx, client.MediaOptions{OnPacket: atAgent.onPacket})
	if err != nil {
		t.Fatalf("agent standby: %v", err)
	}
	t.Cleanup(am.Close)
	queued := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID = field[string](t, queued, "request_id")
	sm, err = station.StartStandby(ctx, client.MediaOptions{OnPacket: atStation.onPacket})
	if err != nil {
		t.Fatalf("station standby: %v", err)
	}
	t.Cleanup(sm.Close)
	return reqID, sm, am
}

func TestPreconnectedCallForwardsOnlyAfterAcceptOnTheSameConnections(t *testing.T) {
	n := startNode(t, preconnectOn)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	atStation, atAgent := &receivedLog{counts: map[string]int{}}, &receivedLog{counts: map[string]int{}}
	reqID, sm, am := standingPair(t, n, station, agent, atStation, atAgent)
	offer := next(t, agent, "call.offer")
	if got := field[string](t, offer, "request_id"); got != reqID {
		t.Fatalf("agent offered %s, want %s", got, reqID)
	}
	// Both send while the station waits: the node takes it and passes on nothing.
	frames := 0
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		if sm.State() == webrtc.PeerConnectionStateConnected && am.State() == webrtc.PeerConnectionStateConnected {
			frames++
		}
		return frames > 50
	})
	for who, log := range map[string]*receivedLog{"agent": atAgent, "station": atStation} {
		if got, _ := log.snapshot(); len(got) != 0 {
			t.Errorf("the %s received %v before the accept", who, got)
		}
	}
	if n.SFU.Room(reqID) != nil {
		t.Error("a call room (and so a recording) exists before the accept")
	}
	pairs := map[*client.Media]string{sm: sm.SelectedPair().String(), am: am.SelectedPair().String()}

	started := request(t, agent, "call.accept", map[string]string{"request_id": reqID})
	atStationStarted := next(t, station, "call.started")
	for _, m := range []client.Message{started, atStationStarted} {
		if !field[bool](t, m, "standby") {
			t.Errorf("call.started does not say the standing connection carries the call: %s", m.Data)
		}
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		a, _ := atAgent.snapshot()
		s, _ := atStation.snapshot()
		return a["station-main/camera"] >= 20 && a["station-main/audio"] >= 20 && s["agent-main/camera"] >= 20
	})
	for m, before := range pairs {
		if now := m.SelectedPair().String(); now != before {
			t.Errorf("the call moved to another connection: %s, before the accept %s", now, before)
		}
	}
	for _, log := range []*receivedLog{atAgent, atStation} {
		if _, corrupt := log.snapshot(); corrupt > 0 {
			t.Errorf("%d packets arrived altered", corrupt)
		}
	}
	if st := n.SFU.Room(reqID).Stats(); len(st.Peers) != 2 {
		t.Errorf("the call's room has %d peers, want the 2 standing connections", len(st.Peers))
	}
}

func TestStandingMediaRefusedWhenTheNodeConnectsPerCall(t *testing.T) {
	n := startNode(t, nil)
	agent := dial(t, n, "agent1")
	ready(t, agent)
	_, err := agent.StartStandby(ctxT(t), client.MediaOptions{})
	if code := client.ErrCode(err); code != "invalid_state" {
		t.Fatalf("standby offer to a per-call node: %v, want invalid_state", err)
	}
}

func TestLeavingTheQueueClosesTheStandingConnection(t *testing.T) {
	n := startNode(t, preconnectOn)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	atStation, atAgent := &receivedLog{counts: map[string]int{}}, &receivedLog{counts: map[string]int{}}
	reqID, sm, _ := standingPair(t, n, station, agent, atStation, atAgent)
	request(t, station, "call.cancel", map[string]string{"request_id": reqID})
	// The node has nothing left to renegotiate with: it refuses, or its DTLS
	// close has reached the client first and pion closed the connection (or
	// was closing its ICE agent as the offer was made).
	err := sm.RestartICE(ctxT(t))
	closed := errors.Is(err, webrtc.ErrConnectionClosed) || errors.Is(err, ice.ErrClosed)
	if client.ErrCode(err) != "invalid_state" && !closed {
		t.Fatalf("ICE restart of the standing connection after leaving the queue: %v, want invalid_state or the connection closed", err)
	}
}
