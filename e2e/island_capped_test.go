package e2e

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"cloudwindow/client"
)

// capFollower keeps the latest call.bitrate_limit a Go client was told, as a
// browser's encoder would, and the lowest one, and the latest voice limit.
type capFollower struct {
	latest, lowest atomic.Int64
	voice          atomic.Int64
}

// follow reads c's bitrate limits until ctx ends.
func (f *capFollower) follow(ctx context.Context, c *client.Client) {
	for {
		m, err := c.Next(ctx, "call.bitrate_limit")
		if err != nil {
			return
		}
		var d struct {
			MaxBitrate      int64 `json:"max_bitrate"`
			MaxAudioBitrate int64 `json:"max_audio_bitrate"`
		}
		if json.Unmarshal(m.Data, &d) != nil || d.MaxBitrate <= 0 {
			continue
		}
		f.voice.Store(d.MaxAudioBitrate)
		f.latest.Store(d.MaxBitrate)
		if low := f.lowest.Load(); low == 0 || d.MaxBitrate < low {
			f.lowest.Store(d.MaxBitrate)
		}
	}
}

// videoBytes is the camera payload per 20-ms packet that keeps within the cap
// (less ~40 bytes of RTP and SRTP per packet), at most full.
func (f *capFollower) videoBytes(full int) int {
	capBps := f.latest.Load()
	if capBps <= 0 {
		return full
	}
	return max(0, min(full, int(capBps/8/50)-40))
}

// exemptAgent takes the agent's media off the emulated link: only the
// station's side is weak, as in the field.
func exemptAgent(t *testing.T, c *islandCall) {
	t.Helper()
	for start := time.Now(); !c.am.Connected(); time.Sleep(20 * time.Millisecond) {
		if time.Since(start) > waitLimit {
			t.Fatal("the agent's media did not connect")
		}
	}
	pair := c.am.SelectedPair()
	if pair == nil {
		t.Fatal("the agent's media has no selected candidate pair")
	}
	c.link.Exempt(net.JoinHostPort("127.0.0.1", strconv.Itoa(int(pair.Local.Port))))
}

// TestIslandWeakStationGetsCappedVideoNotAPause runs a call whose station is
// behind island-weak (256 kbit/s, 300 ms, 5 % loss in bursts) while the agent's
// camera follows the caps it is told, as a browser's encoder does. The link
// loses packets but carries a capped camera: video to the station must not be
// paused, and it must keep arriving. The agent sits on a good link of its own.
// Nobody marked the station, nor did it check its link: the node finds the
// link thin from the station's feedback, and the agent speaks at a speech
// rate to it.
func TestIslandWeakStationGetsCappedVideoNotAPause(t *testing.T) {
	c := startIslandCall(t, islandWeakDown(), true, func(c *islandCall) {
		exemptAgent(t, c)
		c.ag.caps = &capFollower{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.ag.caps.follow(ctx, c.agent)
		}()
		t.Cleanup(func() { cancel(); <-done })
	})
	time.Sleep(8 * time.Second) // the rate comes down to the link's
	sentBefore, gotBefore := c.ag.videoSent.Load(), c.atStation.get("agent-main/camera")
	time.Sleep(12 * time.Second)
	sent, got := c.ag.videoSent.Load()-sentBefore, c.atStation.get("agent-main/camera")-gotBefore
	// The link is found thin over a 10-s window, the second one of the call at
	// the latest; under load the estimate may take a window more to fall.
	for start := time.Now(); c.ag.caps.voice.Load() != 20_000; time.Sleep(100 * time.Millisecond) {
		if time.Since(start) > waitLimit {
			t.Fatalf("the agent's voice limit %d bit/s, want 20000: the station's link is thin", c.ag.caps.voice.Load())
		}
	}
	c.stopMedia()

	t.Logf("agent's video: %d of %d packets reached the station in the last 12 s; caps told to the agent: lowest %d, last %d bit/s",
		got, sent, c.ag.caps.lowest.Load(), c.ag.caps.latest.Load())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	for _, cl := range []*client.Client{c.station, c.agent} {
		if m, err := cl.Next(ctx, "call.video_paused"); err == nil {
			t.Errorf("video was paused on island-weak: %s", m.Data)
		}
	}
	if low := c.ag.caps.lowest.Load(); low == 0 || low >= 256_000 {
		t.Errorf("the agent was never capped below the station's 256 kbit/s link (lowest cap %d)", low)
	}
	if sent == 0 || float64(got) < 0.8*float64(sent) {
		t.Errorf("%d of %d video packets reached the station, want ≥ 80 %%: capped video should cross a link that loses 5 %%", got, sent)
	}
	if !c.alive() {
		t.Errorf("the call dropped: station %s, agent %s", c.sm.State(), c.am.State())
	}
}
