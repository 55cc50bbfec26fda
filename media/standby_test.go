package media

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// standbyClient connects a client that publishes audio and camera ahead of a call.
func standbyClient(t *testing.T, s *SFU, peerID, party string) *testClient {
	t.Helper()
	c := connectClient(t, party, clientOptions{}, func(sig Signaler) (*Peer, error) { return s.Standby(peerID, party, sig) })
	c.publish(SourceAudio)
	c.publish(SourceCamera)
	if _, err := c.negotiate(nil, nil); err != nil {
		t.Fatalf("%s standby offer: %v", party, err)
	}
	return c
}

// standingPair stands a station and an agent by, each publishing its two
// tracks.
func standingPair(t *testing.T, s *SFU) (station, agent *testClient) {
	t.Helper()
	station = standbyClient(t, s, "station-1", "station")
	agent = standbyClient(t, s, "agent-1", "agent")
	waitFor(t, "standing peers publish", func() bool {
		return len(station.peer.publishedTracks()) == 2 && len(agent.peer.publishedTracks()) == 2
	})
	return station, agent
}

// adopt moves the clients' standing peers into r, as an accepted call does.
func adopt(t *testing.T, r *Room, clients ...*testClient) {
	t.Helper()
	for _, c := range clients {
		if err := r.Adopt(c.peer); err != nil {
			t.Fatalf("adopt %s: %v", c.party, err)
		}
	}
}

func TestAdoptedPeersForwardOnlyFromTheCall(t *testing.T) {
	s := newTestSFU(t)
	// Another call runs on the node: nothing of the standing peers may reach it.
	other := newTestRoom(t, s, "call-other")
	otherStation, otherAgent := startCall(t, other, clientOptions{}, clientOptions{})
	station := standbyClient(t, s, "station-1", "station")
	agent := standbyClient(t, s, "agent-1", "agent")
	waitFor(t, "standing peers publish", func() bool {
		return station.peer.counters.packetsPublished.Load() > 100 && agent.peer.counters.packetsPublished.Load() > 100
	})
	for _, c := range []*testClient{station, agent} {
		if n := c.peer.counters.packetsForwarded.Load(); n != 0 {
			t.Errorf("%s was forwarded %d packets while standing by", c.party, n)
		}
		for _, stream := range []string{"station-main", "agent-main"} {
			if rt := c.track(stream, "camera"); rt != nil {
				t.Errorf("%s receives %s while standing by", c.party, stream)
			}
		}
	}

	r := newTestRoom(t, s, "call-1")
	rec := newSinkRecorder()
	r.AddSink(rec.factory)
	if rec.sink("station/camera") != nil {
		t.Fatal("the station's camera is recorded before the call adopts it")
	}
	stationPC, agentPC := station.pc, agent.pc
	adopt(t, r, station, agent)
	agent.waitPackets("station-main", "camera", 50)
	agent.waitPackets("station-main", "audio", 50)
	station.waitPackets("agent-main", "camera", 50)
	waitFor(t, "the station's camera is recorded", func() bool {
		sk := rec.sink("station/camera")
		if sk == nil {
			return false
		}
		sk.mu.Lock()
		defer sk.mu.Unlock()
		return len(sk.seqs) > 20
	})
	if station.pc != stationPC || agent.pc != agentPC {
		t.Error("the call did not keep the standing connections")
	}
	for _, c := range []*testClient{otherStation, otherAgent} {
		c.mu.Lock()
		n := len(c.received)
		c.mu.Unlock()
		if n != 2 {
			t.Errorf("the %s of the other call receives %d tracks, want its own call's 2", c.party, n)
		}
	}
	if n := len(r.Stats().Peers); n != 2 {
		t.Errorf("the call's room has %d peers, want the 2 adopted", n)
	}
	if s.Room(standbyPrefix+"station-1") != nil {
		t.Error("the station's standby room is still open after the call adopted it")
	}
	if got := value(t, s.metrics.standbyOpen); got != 0 || s.StandingBy() != 0 {
		t.Errorf("standing connections after the call adopted both: gauge %v, count %d; want 0", got, s.StandingBy())
	}
}

func TestClosingAStandingPeerClosesItsStandbyRoom(t *testing.T) {
	s := newTestSFU(t)
	station := standbyClient(t, s, "station-1", "station")
	if got := value(t, s.metrics.standbyOpen); got != 1 || s.StandingBy() != 1 {
		t.Errorf("one standing peer: gauge %v, count %d; want 1", got, s.StandingBy())
	}
	station.peer.Close()
	if got := value(t, s.metrics.standbyOpen); got != 0 || s.StandingBy() != 0 {
		t.Errorf("after its peer closed: gauge %v, count %d; want 0", got, s.StandingBy())
	}
	if s.Room(standbyPrefix+"station-1") != nil {
		t.Error("the standby room outlives its peer")
	}
	if _, err := s.Standby("station-1", "station", testSignaler{station}); err != nil {
		t.Errorf("the station cannot stand by again after its peer closed: %v", err)
	}
}

// boundHeld counts the peer's held downTracks negotiated with its client.
func boundHeld(p *Peer) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, d := range p.downs {
		if d.isHeld() && d.binding.Load() != nil {
			n++
		}
	}
	return n
}

func TestPreparedCallForwardsNothingUntilAdopted(t *testing.T) {
	s := newTestSFU(t)
	station, agent := standingPair(t, s)
	s.Prepare(agent.peer, station.peer)
	waitFor(t, "the ringing call's tracks negotiated, held", func() bool {
		return boundHeld(agent.peer) == 2 && boundHeld(station.peer) == 2
	})
	published := station.peer.counters.packetsPublished.Load()
	waitFor(t, "the station publishes on", func() bool { return station.peer.counters.packetsPublished.Load() > published+100 })
	for _, c := range []*testClient{station, agent} {
		if n := c.peer.counters.packetsForwarded.Load(); n != 0 {
			t.Errorf("%s was forwarded %d packets while the call rang", c.party, n)
		}
	}

	r := newTestRoom(t, s, "call-1")
	adopt(t, r, station, agent)
	agent.waitPackets("station-main", "camera", 50)
	agent.waitPackets("station-main", "audio", 50)
	station.waitPackets("agent-main", "camera", 50)
}

// The node prepares a ringing call from more than one place at once (the
// offer ringing, the station's standing connection arriving, a track
// published late): each track must still reach each side once, or the
// client is offered the same track twice and refuses the offer.
func TestPreparingTwiceAtOnceSubscribesOnce(t *testing.T) {
	s := newTestSFU(t)
	station, agent := standingPair(t, s)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { s.Prepare(agent.peer, station.peer) })
	}
	wg.Wait()
	for _, c := range []*testClient{station, agent} {
		c.peer.mu.Lock()
		n := len(c.peer.downs)
		c.peer.mu.Unlock()
		if n != 2 {
			t.Errorf("the %s receives %d tracks, want the other side's 2 once each", c.party, n)
		}
	}
}

func TestUnpreparedCallLeavesNothingHeld(t *testing.T) {
	s := newTestSFU(t)
	station, agent := standingPair(t, s)
	s.Prepare(agent.peer, station.peer)
	waitFor(t, "held tracks negotiated", func() bool { return boundHeld(agent.peer) == 2 })
	s.Unprepare(agent.peer, station.peer)
	agent.peer.mu.Lock()
	n := len(agent.peer.downs)
	agent.peer.mu.Unlock()
	if n != 0 {
		t.Errorf("the agent still has %d downTracks of a call that did not come about", n)
	}
}

func TestArmedCallStartsAtTheKeyframeAskedForAtAccept(t *testing.T) {
	s := newTestSFU(t)
	station, agent := standingPair(t, s)
	s.Prepare(agent.peer, station.peer)
	waitFor(t, "held tracks negotiated", func() bool { return boundHeld(agent.peer) == 2 && boundHeld(station.peer) == 2 })
	armedAt := station.sent(SourceCamera)
	s.Arm(agent.peer, station.peer)
	// The accept's records take a while: two keyframes' worth of packets.
	waitFor(t, "the station publishes on", func() bool { return station.sent(SourceCamera)-armedAt > 2*testKeyframeEvery })
	if n := station.peer.counters.packetsForwarded.Load() + agent.peer.counters.packetsForwarded.Load(); n != 0 {
		t.Errorf("%d packets forwarded before the call was adopted", n)
	}
	releasedAt := station.sent(SourceCamera)
	// As an accept does: the recorder joins the room, then the room adopts the peers.
	room, rec := newTestRoom(t, s, "call-1"), newSinkRecorder()
	room.AddSink(rec.factory)
	adopt(t, room, station, agent)
	rt := agent.waitPackets("station-main", "camera", 50)
	first := rt.firstSeq.Load()
	seq := uint16(first)
	switch {
	case first&seqValid == 0 || seq%testKeyframeEvery != 0:
		t.Errorf("the agent's first video packet is %d, not a keyframe's", seq)
	case seq <= armedAt:
		t.Errorf("the agent's video starts at %d, captured before the accept (%d)", seq, armedAt)
	case seq > releasedAt:
		t.Errorf("the agent's video starts at %d, after the release (%d): nothing kept", seq, releasedAt)
	}
	for k := seq; k != seq+50; k++ {
		if _, ok := rt.seqs.Load(k); !ok {
			t.Errorf("packet %d after the kept keyframe %d never came", k, seq)
			break
		}
	}
	if rt.mismatches.Load() != 0 {
		t.Errorf("%d packets came altered", rt.mismatches.Load())
	}
	// The recording starts where the agent's picture does, at the kept keyframe.
	waitFor(t, "the recorder gets the station's camera", func() bool { return rec.sink("station/camera") != nil })
	sink := rec.sink("station/camera")
	waitFor(t, "the recorder gets the station's camera", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return len(sink.seqs) >= 50
	})
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if !sink.seqs[seq] {
		t.Errorf("the recording lacks the kept keyframe %d the agent's picture starts at", seq)
	}
}

// A standing connection that connects while its call rings must not ask the
// publisher of its held video for a keyframe: the keyframe would be dropped,
// and the browser would ignore the accept's own request, made soon after.
// Once the call carries the track, a reconnection asks as before.
func TestReconnectionAsksKeyframesOnlyForVideoThatFlows(t *testing.T) {
	for _, tc := range []struct {
		name    string
		adopted bool
		want    bool
	}{
		{"held while the call rings", false, false},
		{"in the call", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestSFU(t)
			station, agent := standingPair(t, s)
			s.Prepare(agent.peer, station.peer)
			waitFor(t, "held tracks negotiated", func() bool { return boundHeld(agent.peer) == 2 })
			if tc.adopted {
				adopt(t, newTestRoom(t, s, "call-1"), station, agent)
				agent.waitPackets("station-main", "camera", 10)
			}
			// Past the keyframe limiter's interval, so that a request goes at once.
			time.Sleep(2 * keyframeInterval)
			before := station.peer.counters.keyframeRequests.Load()
			reconnected(agent.peer)
			asked := func() bool { return station.peer.counters.keyframeRequests.Load() > before }
			if tc.want {
				waitFor(t, "a keyframe request to the station's camera", asked)
				return
			}
			time.Sleep(2 * keyframeInterval)
			if asked() {
				t.Error("the held camera's publisher was asked for a keyframe when the subscriber connected")
			}
		})
	}
}

// reconnected makes p handle its connection's coming back, as after a
// disconnection.
func reconnected(p *Peer) {
	p.stateMu.Lock()
	p.reported = webrtc.PeerConnectionStateDisconnected
	p.stateMu.Unlock()
	p.mu.Lock()
	p.connected = false
	p.mu.Unlock()
	p.onConnectionState(webrtc.PeerConnectionStateConnected)
}

func TestKeyframeStart(t *testing.T) {
	for _, tc := range []struct {
		name, mime string
		payload    []byte
		want       bool
	}{
		{"vp8 key", webrtc.MimeTypeVP8, []byte{0x10, 0x00, 0x9d}, true},
		{"vp8 inter", webrtc.MimeTypeVP8, []byte{0x10, 0x01}, false},
		{"vp8 not the start", webrtc.MimeTypeVP8, []byte{0x00, 0x00}, false},
		{"vp8 key, 15-bit picture id and TL0PICIDX", webrtc.MimeTypeVP8, []byte{0x90, 0xc0, 0x81, 0x02, 0x07, 0x00}, true},
		{"vp8 inter, 7-bit picture id", webrtc.MimeTypeVP8, []byte{0x90, 0x80, 0x05, 0x01}, false},
		{"vp8 truncated", webrtc.MimeTypeVP8, []byte{0x90, 0x80}, false},
		{"vp9 key start", webrtc.MimeTypeVP9, []byte{0x08}, true},
		{"vp9 predicted", webrtc.MimeTypeVP9, []byte{0x48}, false},
		{"h264 idr", webrtc.MimeTypeH264, []byte{0x65, 0x88}, true},
		{"h264 stap-a with sps", webrtc.MimeTypeH264, []byte{0x78, 0x00, 0x02, 0x09, 0xf0, 0x00, 0x02, 0x67, 0x42}, true},
		{"h264 fu-a idr start", webrtc.MimeTypeH264, []byte{0x7c, 0x85}, true},
		{"h264 fu-a idr middle", webrtc.MimeTypeH264, []byte{0x7c, 0x05}, false},
		{"h264 slice", webrtc.MimeTypeH264, []byte{0x41, 0x9a}, false},
		{"opus", webrtc.MimeTypeOpus, []byte{0x10, 0x00}, false},
	} {
		if got := keyframeStarter(tc.mime)(tc.payload); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestReleaseAheadOfTheAcceptsKeyframeWaitsForIt releases a call at once after
// the accept armed it, before the keyframe asked for then has come: the far end
// must start at that keyframe, and the publisher must be asked for it once.
func TestReleaseAheadOfTheAcceptsKeyframeWaitsForIt(t *testing.T) {
	s := newTestSFU(t)
	station, agent := standingPair(t, s)
	s.Prepare(agent.peer, station.peer)
	waitFor(t, "held tracks negotiated", func() bool { return boundHeld(agent.peer) == 2 && boundHeld(station.peer) == 2 })
	before := station.peer.counters.keyframeRequests.Load()
	s.Arm(agent.peer, station.peer)
	adopt(t, newTestRoom(t, s, "call-1"), station, agent)
	rt := agent.waitPackets("station-main", "camera", 50)
	if first := rt.firstSeq.Load(); first&seqValid == 0 || uint16(first)%testKeyframeEvery != 0 {
		t.Errorf("the agent's first video packet is %d, not a keyframe's", uint16(first))
	}
	if n := station.peer.counters.keyframeRequests.Load() - before; n != 1 {
		t.Errorf("the station's camera was asked for %d keyframes, want the accept's one", n)
	}
}
