package media

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

func iceUfrag(t *testing.T, sdp string) string {
	t.Helper()
	for _, line := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "a=ice-ufrag:"); ok {
			return v
		}
	}
	t.Fatalf("no ice-ufrag in SDP")
	return ""
}

func TestICERestartFromClientKeepsMediaFlowing(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-restart")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	oldUfrag := iceUfrag(t, station.pc.RemoteDescription().SDP)

	answer, err := station.negotiate(&webrtc.OfferOptions{ICERestart: true}, nil)
	if err != nil {
		t.Fatalf("ice restart: %v", err)
	}
	if iceUfrag(t, answer) == oldUfrag {
		t.Errorf("server answered an ICE restart with its old credentials")
	}
	for _, w := range []struct {
		c             *testClient
		stream, track string
	}{{station, "agent-main", "camera"}, {agent, "station-main", "camera"}, {agent, "station-main", "audio"}} {
		before := w.c.track(w.stream, w.track).packets.Load()
		w.c.waitPackets(w.stream, w.track, before+100)
	}
}

func TestGlareClientOfferWinsThenServerRenegotiates(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-glare")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})

	// The server's offer for the document camera is in flight towards the agent…
	agent.holdOffers.Store(true)
	station.publish(SourceDocument)
	if _, err := station.negotiate(nil, nil); err != nil {
		t.Fatalf("station adds document camera: %v", err)
	}
	waitFor(t, "a server offer to the agent", func() bool { return agent.heldOffers() > 0 })

	// …when the agent sends an offer of its own. The offer reaches the agent while
	// its own is pending, so the agent (impolite) ignores it; the server must yield.
	if _, err := agent.negotiate(nil, agent.deliverHeld); err != nil {
		t.Fatalf("agent offer during a pending server offer: %v", err)
	}
	if agent.ignoredOffers.Load() == 0 {
		t.Fatalf("test setup: the server offer did not collide with the agent's")
	}
	rt := agent.waitPackets("station-document", "document", 50)
	if m := rt.mismatches.Load(); m != 0 {
		t.Errorf("%d document packets differ from what the station sent", m)
	}
	before := station.track("agent-main", "camera").packets.Load()
	station.waitPackets("agent-main", "camera", before+50)
}

func TestMonitorIsAPureSubscriberOfBothParties(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-monitor")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})

	// The monitor never offers: the server's offer sets up its PeerConnection.
	monitor := joinClient(t, r, "supervisor-1", PartyMonitor, clientOptions{})
	for _, w := range [][2]string{
		{"station-main", "camera"}, {"station-main", "audio"},
		{"agent-main", "camera"}, {"agent-main", "audio"},
	} {
		rt := monitor.waitPackets(w[0], w[1], 50)
		if m := rt.mismatches.Load(); m != 0 {
			t.Errorf("monitor: %d packets on %s/%s differ", m, w[0], w[1])
		}
	}

	// Whatever a monitor publishes stays with the server.
	monitor.publish(SourceAudio)
	if _, err := monitor.negotiate(nil, nil); err != nil {
		t.Fatalf("monitor offer: %v", err)
	}
	waitFor(t, "the server to receive the monitor's audio", func() bool {
		return r.Stats().Peers["supervisor-1"].PacketsPublished > 50
	})
	for _, c := range []*testClient{station, agent} {
		if rt := c.track("monitor-main", "audio"); rt != nil {
			t.Errorf("%s receives the monitor's microphone", c.party)
		}
	}
}

// A client may trickle its first candidates ahead of its answer to the
// server's first offer. The server keeps them for the answer instead of
// refusing them, and connects to them.
func TestCandidatesAheadOfTheFirstAnswerAreKept(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-early-candidates")
	startCall(t, r, clientOptions{}, clientOptions{})
	monitor := joinClient(t, r, "supervisor-1", PartyMonitor, clientOptions{holdOffers: true})
	waitFor(t, "the server's first offer to the monitor", func() bool { return monitor.heldOffers() > 0 })

	var ports []int
	err := monitor.do(func() error {
		monitor.mu.Lock()
		offer := monitor.held[0]
		monitor.held = nil
		monitor.mu.Unlock()
		monitor.holdOffers.Store(false)
		if err := monitor.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
			return err
		}
		answer, err := monitor.pc.CreateAnswer(nil)
		if err != nil {
			return err
		}
		if err := monitor.setLocalAndGather(answer); err != nil {
			return err
		}
		// The candidates go first, one by one, and the answer without them.
		var bare []string
		for _, line := range strings.SplitAfter(monitor.pc.LocalDescription().SDP, "\n") {
			c, ok := strings.CutPrefix(strings.TrimSpace(line), "a=")
			if !ok || !strings.HasPrefix(c, "candidate:") {
				bare = append(bare, line)
				continue
			}
			if fields := strings.Fields(c); len(fields) > 5 {
				var port int
				fmt.Sscan(fields[5], &port)
				ports = append(ports, port)
			}
			mid := "0"
			if err := monitor.peer.AddCandidate(webrtc.ICECandidateInit{Candidate: c, SDPMid: &mid}); err != nil {
				return fmt.Errorf("candidate before the answer: %w", err)
			}
		}
		return monitor.peer.HandleAnswer(strings.Join(bare, ""))
	})
	if err != nil {
		t.Fatal(err)
	}
	monitor.waitPackets("station-main", "camera", 20)
	if len(ports) == 0 {
		t.Fatal("the monitor's answer had no candidates to send ahead")
	}
	known := map[int]bool{}
	for _, st := range monitor.peer.pc.GetStats() {
		if c, ok := st.(webrtc.ICECandidateStats); ok && c.Type == webrtc.StatsTypeRemoteCandidate && c.CandidateType == webrtc.ICECandidateTypeHost {
			known[int(c.Port)] = true
		}
	}
	for _, p := range ports {
		if !known[p] {
			t.Errorf("the server does not know the monitor's candidate on port %d (knows %v)", p, known)
		}
	}
}

func TestMediaFlowsOverICETCP(t *testing.T) {
	s := newTestSFU(t)
	if s.TCPPort() <= 0 {
		t.Fatalf("ICE-TCP port = %d", s.TCPPort())
	}
	r := newTestRoom(t, s, "call-tcp")
	station, _ := startCall(t, r, clientOptions{tcpOnly: true}, clientOptions{})
	pair, err := station.pc.GetSenders()[0].Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected candidate pair: %v", err)
	}
	if pair.Local.Protocol != webrtc.ICEProtocolTCP || pair.Remote.Port != uint16(s.TCPPort()) {
		t.Errorf("media runs over %s to port %d, want TCP to the ICE-TCP port %d", pair.Local.Protocol, pair.Remote.Port, s.TCPPort())
	}
}

func TestLeavingPublisherIsRemovedFromSubscriber(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-leave")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	r.Leave(agent.peer.ID())
	if _, ok := r.Stats().Peers["agent-1"]; ok {
		t.Errorf("agent still listed after leaving")
	}
	// The station is renegotiated and its tracks from the agent end.
	waitFor(t, "the agent's tracks to end at the station", func() bool {
		return station.track("agent-main", "camera").ended.Load() && station.track("agent-main", "audio").ended.Load()
	})
	// The agent can come back into the same call.
	agent2 := joinClient(t, r, "agent-2", "agent", clientOptions{})
	agent2.waitPackets("station-main", "camera", 50)
}

func TestPublicIPsAreAnnouncedAsHostCandidates(t *testing.T) {
	s, err := New(Config{LoopbackOnly: true, PublicIPs: []string{"203.0.113.7"}, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	r := newTestRoom(t, s, "call-nat")
	// The client never applies the answer, so nothing is ever sent to that address.
	pc, err := clientAPI(t, clientOptions{}).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := r.Join("station-1", "station", testSignaler{})
	if err != nil {
		t.Fatal(err)
	}
	answer, err := peer.HandleOffer(offer.SDP, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, fmt.Sprintf("203.0.113.7 %d typ host", s.UDPPort())) {
		t.Errorf("answer does not announce the public IP on the ICE UDP port:\n%s", answer)
	}
	if strings.Contains(answer, "127.0.0.1") {
		t.Errorf("answer still announces the private address")
	}
}
