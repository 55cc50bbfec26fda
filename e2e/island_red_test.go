package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"cloudwindow/client"
	"cloudwindow/linkemu"
	"cloudwindow/media"
	"cloudwindow/node"
)

// islandBadDown is island-bad on the downlink only (see islandWeakDown): 256
// kbit/s, 150 ms each way and 20 % random loss on what the node sends.
func islandBadDown() linkemu.Profile {
	p := linkemu.Profiles["island-bad"]
	p.Up = linkemu.Profiles["good"].Up
	return p
}

// redundancyRun is what the station could play of the agent's audio during a
// spell of island-bad: frames heard, either in their own packet or rebuilt
// from a later packet's redundancy.
type redundancyRun struct {
	sent, heard, rebuilt int
	redForwarded         uint64
	estimate             int64   // the station's downlink estimate at the end of the spell, bit/s
	lost                 float64 // the loss the station last reported, on any track
}

func (r redundancyRun) playable() float64 { return pct(r.heard, int64(r.sent)) }

// runIslandBadAudio sets a call up on a good link with the node's audio
// redundancy at most redundancy frames, puts the station's downlink on
// island-bad and, once video to it is paused, counts over spell the agent's
// audio frames the station can play.
func runIslandBadAudio(t *testing.T, redundancy int, spell time.Duration) redundancyRun {
	t.Helper()
	n, link, islandURL := islandNode(t, linkemu.Profiles["good"], true, func(c *node.Config) { c.AudioRedundancy = redundancy })
	station, agent := dialURL(t, islandURL, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	playable, rebuilt := newMediaCounter(), 0
	var mu sync.Mutex
	onRedundant := func(stream, track string, p *rtp.Packet) {
		if num, ok := client.PayloadNumber(track, p.Payload); ok && track == "audio" {
			mu.Lock()
			playable.mu.Lock()
			if !playable.heard[num] {
				playable.heard[num] = true
				rebuilt++
			}
			playable.mu.Unlock()
			mu.Unlock()
		}
	}
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{RED: true, OnPacket: playable.onPacket, OnRedundant: onRedundant, AnnounceIP: nowhereIP})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	am, err := agent.StartMedia(ctx, callID, client.MediaOptions{AnnounceIP: nowhereIP})
	if err != nil {
		t.Fatalf("agent media: %v", err)
	}
	stop, wg := make(chan struct{}), &sync.WaitGroup{}
	st, ag := &talker{m: sm}, &talker{m: am, videoBytes: 950}
	wg.Add(2)
	go st.run(stop, wg)
	go ag.run(stop, wg)
	stopped := sync.OnceFunc(func() { close(stop); wg.Wait() })
	t.Cleanup(stopped)
	for deadline := time.Now().Add(15 * time.Second); playable.firstHeard() == ^uint32(0); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the station never heard the agent on the good link")
		}
	}

	// Counted once video to the station is paused: from then on what is lost
	// is island-bad's random 20 %, which redundancy is for; the full queue
	// before the pause is adaptation's part (TestIslandWeakLinkPausesVideo…).
	link.SetProfile(islandBadDown())
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if st, ok := stationStats(n, callID); ok && st.VideoPaused {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("video to the station was not paused on island-bad within 20 s")
		}
	}
	from := ag.audioSent.Load()
	time.Sleep(spell)
	to := ag.audioSent.Load()
	run := redundancyRun{sent: int(to - from)}
	if st, ok := stationStats(n, callID); ok {
		run.estimate, run.lost = st.DownlinkEstimate, st.FractionLost
	}
	link.SetProfile(linkemu.Profiles["good"])
	time.Sleep(time.Second) // what is still on the link arrives
	stopped()

	mu.Lock()
	run.rebuilt = rebuilt
	mu.Unlock()
	run.heard = playable.heardFrom(uint32(from)) - playable.heardFrom(uint32(to))
	if st, ok := stationStats(n, callID); ok {
		run.redForwarded = st.REDForwarded
	}
	return run
}

// stationStats is the node's media figures of the call's station.
func stationStats(n *node.Node, callID string) (media.PeerStats, bool) {
	if room := n.SFU.Room(callID); room != nil {
		for _, p := range room.Stats().Peers {
			if p.Party == "station" {
				return p, true
			}
		}
	}
	return media.PeerStats{}, false
}

// TestIslandBadAudioRedundancy: over island-bad's 20 % loss the station, which
// negotiated RED, can play nearly every frame of the agent's audio when the node
// adds redundancy, and clearly more than without it, in the same test.
func TestIslandBadAudioRedundancy(t *testing.T) {
	runs := map[int]redundancyRun{}
	for _, redundancy := range []int{0, 3} {
		t.Run(fmt.Sprintf("redundancy %d", redundancy), func(t *testing.T) {
			runs[redundancy] = runIslandBadAudio(t, redundancy, 10*time.Second)
			r := runs[redundancy]
			t.Logf("redundancy up to %d: %d of %d frames playable (%.1f %%), %d rebuilt from redundancy, %d RED packets sent to the station; its downlink estimate %d bit/s, last loss it reported (any track) %.1f %%",
				redundancy, r.heard, r.sent, r.playable(), r.rebuilt, r.redForwarded, r.estimate, 100*r.lost)
		})
	}
	off, on := runs[0], runs[3]
	if on.sent == 0 || off.sent == 0 {
		t.Fatal("a run sent no audio")
	}
	// 99.6–100 % alone on the machine; 92.8 % once in the full suite, whose
	// browsers starve the test's own sender and receiver of CPU.
	if on.playable() < 90 {
		t.Errorf("with redundancy the station could play %d of %d frames (%.1f %%), want ≥ 90 %%", on.heard, on.sent, on.playable())
	}
	if on.playable() < off.playable()+10 {
		t.Errorf("redundancy brought playable audio from %.1f %% to %.1f %%, want ≥ 10 points more", off.playable(), on.playable())
	}
	if off.rebuilt != 0 || off.redForwarded != 0 {
		t.Errorf("with redundancy off the node sent %d RED packets, %d frames rebuilt", off.redForwarded, off.rebuilt)
	}
}
