package media

import (
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// startCall joins a station and an agent that both publish audio and camera and
// waits until each receives the other's media.
func startCall(t *testing.T, r *Room, stationOpts, agentOpts clientOptions) (station, agent *testClient) {
	t.Helper()
	station = joinClient(t, r, "station-1", "station", stationOpts)
	agent = joinClient(t, r, "agent-1", "agent", agentOpts)
	for _, c := range []*testClient{station, agent} {
		c.publish(SourceAudio)
		c.publish(SourceCamera)
		if _, err := c.negotiate(nil, nil); err != nil {
			t.Fatalf("%s offer: %v", c.party, err)
		}
	}
	station.waitPackets("agent-main", "camera", 20)
	station.waitPackets("agent-main", "audio", 20)
	agent.waitPackets("station-main", "camera", 20)
	agent.waitPackets("station-main", "audio", 20)
	return station, agent
}

func TestCallForwardsMediaBothWaysByteForByte(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-1")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})

	checks := []struct {
		client *testClient
		stream string
		track  string
	}{
		{station, "agent-main", "camera"},
		{station, "agent-main", "audio"},
		{agent, "station-main", "camera"},
		{agent, "station-main", "audio"},
	}
	for _, c := range checks {
		rt := c.client.waitPackets(c.stream, c.track, 200)
		if m := rt.mismatches.Load(); m != 0 {
			t.Errorf("%s got %d of %d packets on %s/%s with a payload different from the publisher's",
				c.client.party, m, rt.packets.Load(), c.stream, c.track)
		}
	}
	for _, c := range []*testClient{station, agent} {
		if rt := c.track(c.party+"-main", "camera"); rt != nil {
			t.Errorf("%s receives its own camera", c.party)
		}
	}

	st := r.Stats()
	for _, id := range []string{"station-1", "agent-1"} {
		ps := st.Peers[id]
		if ps.PacketsForwarded < 400 || ps.BytesForwarded == 0 || ps.PacketsPublished < 400 {
			t.Errorf("stats for %s do not show the media: %+v", id, ps)
		}
	}
}

func TestDocumentCameraReachesAgentLabelledDocument(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-doc")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})

	station.publish(SourceDocument)
	if _, err := station.negotiate(nil, nil); err != nil {
		t.Fatalf("station adds document camera: %v", err)
	}
	rt := agent.waitPackets("station-document", "document", 100)
	if m := rt.mismatches.Load(); m != 0 {
		t.Errorf("%d document packets differ from what the station sent", m)
	}
	// The main camera keeps flowing next to the document camera.
	before := agent.track("station-main", "camera").packets.Load()
	agent.waitPackets("station-main", "camera", before+50)
}

// TestCallOverAUDPPortPerConnection runs a call whose parties each reach
// the node on a port of their own from the range: over a lossy link whose
// losses are resent, and across an ICE restart.
func TestCallOverAUDPPortPerConnection(t *testing.T) {
	ports := PortRange{42100, 42199}
	s, err := New(Config{LoopbackOnly: true, UDPPorts: ports, TCPPort: -1, Logger: quietLogger()})
	if err != nil {
		t.Fatalf("new sfu: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if p := s.UDPPort(); p != 0 {
		t.Errorf("UDPPort = %d with a port per connection, want 0 (no shared socket)", p)
	}
	link := newLossyLink(t, 5, 60*time.Millisecond)
	station, agent := startCall(t, newTestRoom(t, s, "call-1"), clientOptions{}, clientOptions{udpMux: link.mux(t)})
	nodePorts := func() map[uint16]bool {
		used := map[uint16]bool{}
		for _, c := range []*testClient{station, agent} {
			pair, err := c.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
			if err != nil || pair == nil {
				t.Fatalf("%s: no selected candidate pair: %v", c.party, err)
			}
			if p := pair.Remote.Port; p < ports[0] || p > ports[1] {
				t.Errorf("%s's media goes to the node's port %d, outside %s", c.party, p, ports.String())
			}
			used[pair.Remote.Port] = true
		}
		return used
	}
	if used := nodePorts(); len(used) != 2 {
		t.Errorf("both parties' media goes to one port of the node (%v), want one each", used)
	}

	camera := agent.track("station-main", "camera")
	link.lossy.Store(true)
	agent.waitPackets("station-main", "camera", camera.packets.Load()+300)
	link.lossy.Store(false)
	if link.lost.Load() == 0 {
		t.Fatalf("the agent's link lost nothing")
	}
	for _, seq := range link.droppedSeqs() {
		waitFor(t, "every lost packet to be resent", func() bool {
			_, ok := camera.seqs.Load(seq)
			return ok
		})
	}

	if _, err := station.negotiate(&webrtc.OfferOptions{ICERestart: true}, nil); err != nil {
		t.Fatalf("ice restart: %v", err)
	}
	before := agent.track("station-main", "audio").packets.Load()
	agent.waitPackets("station-main", "audio", before+50)
	station.waitPackets("agent-main", "camera", station.track("agent-main", "camera").packets.Load()+50)
	nodePorts()
}

func TestPortRangeFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want PortRange
		ok   bool
	}{
		{"40000-49999", PortRange{40000, 49999}, true},
		{"5000-5000", PortRange{5000, 5000}, true},
		{"", PortRange{}, true},
		{"49999-40000", PortRange{}, false},
		{"0-100", PortRange{}, false},
		{"40000", PortRange{}, false},
		{"40000-70000", PortRange{}, false},
		{"a-b", PortRange{}, false},
	} {
		var r PortRange
		err := r.Set(tc.in)
		if (err == nil) != tc.ok || (tc.ok && r != tc.want) {
			t.Errorf("Set(%q) = %v, %v; want %v, ok %v", tc.in, r, err, tc.want, tc.ok)
		}
		if tc.ok && r.String() != tc.in {
			t.Errorf("Set(%q).String() = %q", tc.in, r.String())
		}
	}
}
