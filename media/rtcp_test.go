package media

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

func TestKeyframeRequestsAreCoalescedPerTrack(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-pli")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	camera := agent.waitPackets("station-main", "camera", 20)
	plis := station.plis["station-camera-track"]

	// Let the requests made while the call was set up pass their interval.
	time.Sleep(2 * keyframeInterval)
	before := plis.Load()
	start := time.Now()
	for range 50 {
		err := agent.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: camera.ssrc}})
		if err != nil {
			t.Fatalf("agent sends PLI: %v", err)
		}
	}
	// The one held back is released by the read loop once the interval has passed.
	waitFor(t, "a keyframe request upstream", func() bool { return plis.Load() > before })
	time.Sleep(3 * keyframeInterval)
	got := int(plis.Load() - before)
	allowed := int(time.Since(start)/keyframeInterval) + 1
	if got > allowed {
		t.Errorf("station got %d keyframe requests in %v for 50 PLIs; at most %d allowed", got, time.Since(start), allowed)
	}
	if got > 2 {
		t.Errorf("50 PLIs in one burst reached the station as %d requests, want at most 2", got)
	}
	if st := r.Stats().Peers["station-1"]; st.KeyframeRequests == 0 {
		t.Errorf("stats show no keyframe request to the station: %+v", st)
	}
}

func TestRequestKeyframesAsksThePublisher(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-kf")
	station, _ := startCall(t, r, clientOptions{}, clientOptions{})
	plis := station.plis["station-camera-track"]
	time.Sleep(2 * keyframeInterval)
	before := plis.Load()
	station.peer.RequestKeyframes()
	waitFor(t, "a keyframe request at the station", func() bool { return plis.Load() > before })
	if audio := station.plis["station-audio-track"]; audio.Load() != 0 {
		t.Errorf("audio track got %d keyframe requests", audio.Load())
	}
}

func TestNACKIsAnsweredFromThePacketCache(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-nack")
	drop := &dropFactory{dropAfter: 40}
	_, agent := startCall(t, r, clientOptions{}, clientOptions{drop: drop, noReplayCheck: true})
	camera := agent.waitPackets("station-main", "camera", 100)

	var d *dropper
	waitFor(t, "the lossy link to drop a packet", func() bool {
		d = drop.last.Load()
		return d != nil && d.dropped.Load() == 1
	})
	target := d.Target()
	waitFor(t, "the dropped packet to be retransmitted", func() bool {
		_, ok := camera.seqs.Load(target)
		return ok
	})
	if m := camera.mismatches.Load(); m != 0 {
		t.Errorf("%d packets (retransmission included) differ from what the station sent", m)
	}
	if st := r.Stats().Peers["agent-1"]; st.NACKsAnswered == 0 {
		t.Errorf("stats show no NACK answered for the agent: %+v", st)
	}
}

// TestLostPacketIsAskedForBoundedly: the station's camera never sends one
// packet (as a browser never resends its padding). The node asks for it,
// and stops after maxNacksPerPacket asks, though the packet stays in the NACK
// generator's window for seconds more.
func TestLostPacketIsAskedForBoundedly(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-nack-bound")
	const never = 100 // half a second in, at a packet each 5 ms
	station, _ := startCall(t, r, clientOptions{neverSend: never}, clientOptions{})
	waitFor(t, "the node to ask for the packet never sent", func() bool { return station.nacksForNever.Load() > 0 })
	// pion's generator asks every 100 ms while the packet is among the last
	// 512 received, 2.5 s at this rate.
	time.Sleep(3 * time.Second)
	if got := station.nacksForNever.Load(); got > maxNacksPerPacket {
		t.Fatalf("the packet never sent was asked for %d times, want at most %d", got, maxNacksPerPacket)
	}
}
