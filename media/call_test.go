package media

import (
	"testing"
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
