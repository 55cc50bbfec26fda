package e2e

import (
	"os"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

// TestBrowserKioskFollowsItsCallToAnotherNode: a kiosk in Chromium is in a
// call on node A when its agent's session resumes on node B; the call moves
// there, and the kiosk, told by call.started with "moved", connects its
// media to the new room by itself: the agent hears it again, and its call
// screen stays.
func TestBrowserKioskFollowsItsCallToAnotherNode(t *testing.T) {
	redisURL := os.Getenv("CLOUDWINDOW_TEST_REDIS")
	if redisURL == "" {
		t.Skip("CLOUDWINDOW_TEST_REDIS is not set: no Redis for a cluster")
	}
	browser := startBrowser(t)
	cfg := clusterConfig(t, redisURL)
	a := startNode(t, func(c *node.Config) { cfg("node-a")(c); browserNode(c) })
	b := startNode(t, func(c *node.Config) { cfg("node-b")(c); browserNode(c) })
	agent := &failParty{name: "agent2", password: "demo"}
	loginDial(t, a.URL(), agent)
	ready(t, agent.c)
	kiosk := openStation(t, browser, a, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", itemOf(t, a, "medical_insurance"), "")
	offer := next(t, agent.c, "call.offer")
	started := request(t, agent.c, "call.accept", map[string]string{"request_id": field[string](t, offer, "request_id")})
	callID := field[string](t, started, "call_id")
	kiosk.screen("call")
	m, err := agent.c.StartMedia(ctxT(t), callID, client.MediaOptions{OnPacket: agent.onPacket})
	if err != nil {
		t.Fatal(err)
	}
	agent.m.Store(m)
	t.Cleanup(func() {
		if m := agent.m.Load(); m != nil {
			m.Close()
		}
	})
	waitHears(t, agent, 20)

	agent.reload(t, b.URL(), callID, true)
	waitHears(t, agent, 20)
	kiosk.screen("call")
	if c, err := b.Calls.Get(ctxT(t), callID); err != nil || c.Node != "node-b" {
		t.Fatalf("call record after the move: %+v %v", c, err)
	}
}

// waitHears waits until p hears more audio packets of the other side.
func waitHears(t *testing.T, p *failParty, more int) {
	t.Helper()
	h0 := p.heardCount()
	for deadline := time.Now().Add(30 * time.Second); p.heardCount() < h0+more; time.Sleep(client.FrameInterval) {
		if time.Now().After(deadline) {
			t.Fatalf("%s hears nothing of the kiosk (%d packets)", p.name, p.heardCount()-h0)
		}
	}
}
