package media

import "testing"

// A third party whose audio is routed to the agent only: the station gets no
// packet of it, until the routing lets everyone hear it.
func TestRoutingKeepsAWhisperFromTheStation(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-whisper")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	r.SetRouting(func(track TrackInfo, to string) bool {
		return track.Party != "supervisor" || to == "agent-1"
	})
	sup := joinClient(t, r, "supervisor-1", "supervisor", clientOptions{})
	sup.publish(SourceAudio)
	if _, err := sup.negotiate(nil, nil); err != nil {
		t.Fatalf("supervisor offer: %v", err)
	}
	agent.waitPackets("supervisor-main", "audio", 50)
	sup.waitPackets("station-main", "audio", 20)
	before := station.track("agent-main", "audio").packets.Load()
	station.waitPackets("agent-main", "audio", before+50)
	if rt := station.track("supervisor-main", "audio"); rt != nil {
		t.Fatalf("the station received %d packets of the whisper", rt.packets.Load())
	}

	r.SetRouting(nil)
	station.waitPackets("supervisor-main", "audio", 20)

	r.SetRouting(func(track TrackInfo, to string) bool { return to != "station-1" })
	got := station.track("supervisor-main", "audio").packets.Load()
	before = agent.track("station-main", "audio").packets.Load()
	agent.waitPackets("station-main", "audio", before+100)
	after := station.track("supervisor-main", "audio").packets.Load()
	// A few packets may have been on their way when the routing changed.
	if after-got > 20 {
		t.Errorf("the station still receives the supervisor: %d packets after the track was taken away", after-got)
	}
}
