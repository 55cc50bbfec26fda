package e2e

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"cloudwindow/client"
	"cloudwindow/linkemu"
	"cloudwindow/media"
	"cloudwindow/node"
)

// islandIP is where the link emulator listens. The node announces it as its media
// address, so media crosses the emulated link; the clients announce unreachable
// addresses, so the node cannot reach them past it.
const islandIP, nowhereIP = "127.0.0.2", "127.0.0.9"

// islandNode starts a node with downlink adaptation on and a link emulator in front
// of its media port and its HTTP port. It returns the node, the link and the URL
// through the link.
func islandNode(t *testing.T, p linkemu.Profile, adapt bool, mods ...func(*node.Config)) (*node.Node, *linkemu.Link, string) {
	t.Helper()
	n := startNode(t, func(c *node.Config) {
		c.PublicIPs, c.TCPPort, c.AdaptDownlink = []string{islandIP}, -1, adapt
		c.Adapt = media.AdaptConfig{ProbeAfter: 2 * time.Second, ProbeFor: 2 * time.Second}
		for _, mod := range mods {
			mod(c)
		}
	})
	link := linkemu.New(p, 1)
	t.Cleanup(func() { link.Close() })
	port := strconv.Itoa(n.SFU.UDPPort())
	if _, err := link.RelayUDP(net.JoinHostPort(islandIP, port), "127.0.0.1:"+port); err != nil {
		t.Fatal(err)
	}
	web, err := link.RelayTCP(islandIP+":0", strings.TrimPrefix(n.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return n, link, "http://" + web.String()
}

// islandWeakDown is island-weak on the downlink: what the node sends to the
// station (and, sharing the link, to the agent) crosses 256 kbit/s with 150 ms
// and bursty loss. Uplinks are adapted by the senders' own congestion control,
// which the Go clients do not have, so the uplink stays clear here.
func islandWeakDown() linkemu.Profile {
	p := linkemu.Profiles["island-weak"]
	p.Up = linkemu.Profiles["good"].Up
	return p
}

// mediaCounter counts the packets one side receives, by "stream/track", and keeps
// the numbers of the audio frames it heard.
type mediaCounter struct {
	mu     sync.Mutex
	counts map[string]int
	heard  map[uint32]bool
}

func newMediaCounter() *mediaCounter {
	return &mediaCounter{counts: map[string]int{}, heard: map[uint32]bool{}}
}

func (c *mediaCounter) onPacket(stream, track string, p *rtp.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[stream+"/"+track]++
	if n, ok := client.PayloadNumber(track, p.Payload); ok && track == "audio" {
		c.heard[n] = true
	}
}

// firstHeard is the lowest audio frame number heard: frames sent before the
// media connection was up never had a path, so losses are counted from it.
func (c *mediaCounter) firstHeard() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	first := ^uint32(0)
	for n := range c.heard {
		first = min(first, n)
	}
	return first
}

// heardFrom counts the distinct audio frames numbered from on that were heard.
func (c *mediaCounter) heardFrom(from uint32) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	count := 0
	for n := range c.heard {
		if n >= from {
			count++
		}
	}
	return count
}

func (c *mediaCounter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

// talker sends a party's media every 20 ms: Opus audio and a VP8 camera of
// videoBytes per packet (a keyframe every 25), until stopped; with caps, the
// camera keeps within the latest cap. It counts audio and video sent.
type talker struct {
	m          *client.Media
	videoBytes int
	caps       *capFollower
	audioSent  atomic.Int64
	videoSent  atomic.Int64
}

func (tk *talker) run(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	tick := time.NewTicker(client.FrameInterval)
	defer tick.Stop()
	pad := make([]byte, tk.videoBytes)
	for n := uint32(0); ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		a := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, PayloadType: 111, SequenceNumber: uint16(n), Timestamp: n * 960}, Payload: client.OpusPayload(n)}
		if tk.m.Tracks["audio"].WriteRTP(a) == nil {
			tk.audioSent.Add(1)
		}
		size := tk.videoBytes
		if tk.caps != nil {
			size = tk.caps.videoBytes(size)
		}
		v := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, PayloadType: 96, SequenceNumber: uint16(n), Timestamp: n * 1800},
			Payload: append(client.VP8Payload(n, 25), pad[:size]...)}
		if tk.m.Tracks["camera"].WriteRTP(v) == nil {
			tk.videoSent.Add(1)
		}
	}
}

func pct(part int, whole int64) float64 { return 100 * float64(part) / float64(max(whole, 1)) }

// videoPaused waits for a call.video_paused about the station with the given state.
func videoPaused(t *testing.T, c *client.Client, paused bool, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		m, err := c.Next(ctx, "call.video_paused")
		if err != nil {
			t.Fatalf("no call.video_paused (paused=%v) within %v: %v", paused, within, err)
		}
		var d struct {
			Party   string `json:"party"`
			Paused  bool   `json:"paused"`
			Message string `json:"message"`
		}
		json.Unmarshal(m.Data, &d)
		if d.Party != "station" || d.Paused != paused {
			continue
		}
		if paused && d.Message != "网络较差，已暂停视频，通话继续" {
			t.Fatalf("pause message %q", d.Message)
		}
		return
	}
}

// islandCall is a call between station1 behind an emulated link and agent1, both
// Go clients sending media: the station audio and a small camera, the agent audio
// and a ~400 kbit/s camera, more than an island link carries.
type islandCall struct {
	n                  *node.Node
	link               *linkemu.Link
	callID             string
	station, agent     *client.Client
	sm, am             *client.Media
	atStation, atAgent *mediaCounter
	st, ag             *talker
	stop               chan struct{}
	wg                 sync.WaitGroup
}

// islandPreconnect tells the island calls to run on standing media
// connections (CLOUDWINDOW_ISLAND_PRECONNECT=1), made across the link before
// the call as a ready agent and a queued station make them.
func islandPreconnect() bool { return os.Getenv("CLOUDWINDOW_ISLAND_PRECONNECT") == "1" }

// startIslandCall starts the call; opts run before the media is sent.
func startIslandCall(t *testing.T, p linkemu.Profile, adapt bool, opts ...func(*islandCall)) *islandCall {
	t.Helper()
	c := &islandCall{atStation: newMediaCounter(), atAgent: newMediaCounter(), stop: make(chan struct{})}
	var islandURL string
	c.n, c.link, islandURL = islandNode(t, p, adapt, func(cfg *node.Config) { cfg.PreconnectMedia = islandPreconnect() })
	c.station, c.agent = dialURL(t, islandURL, "station1"), dial(t, c.n, "agent1")
	ready(t, c.agent)
	if islandPreconnect() {
		c.startStanding(t)
	} else {
		c.startPerCall(t)
	}
	c.st, c.ag = &talker{m: c.sm}, &talker{m: c.am, videoBytes: 950}
	for _, opt := range opts {
		opt(c)
	}
	c.wg.Add(2)
	go c.st.run(c.stop, &c.wg)
	go c.ag.run(c.stop, &c.wg)
	t.Cleanup(c.stopMedia)
	return c
}

// startPerCall connects both parties' media for the call once it started.
func (c *islandCall) startPerCall(t *testing.T) {
	t.Helper()
	c.callID = startCall(t, c.station, c.agent, itemOf(t, c.n, "medical_insurance"))
	ctx := ctxT(t)
	var err error
	if c.sm, err = c.station.StartMedia(ctx, c.callID, client.MediaOptions{OnPacket: c.atStation.onPacket, AnnounceIP: nowhereIP}); err != nil {
		t.Fatalf("station media: %v", err)
	}
	if c.am, err = c.agent.StartMedia(ctx, c.callID, client.MediaOptions{OnPacket: c.atAgent.onPacket, AnnounceIP: nowhereIP}); err != nil {
		t.Fatalf("agent media: %v", err)
	}
}

// startStanding connects the ready agent's and the queued station's standing
// connections and accepts the call at once, before they need be up: the
// call adopts them whatever state the link has left them in.
func (c *islandCall) startStanding(t *testing.T) {
	t.Helper()
	ctx := ctxT(t)
	var err error
	if c.am, err = c.agent.StartStandby(ctx, client.MediaOptions{OnPacket: c.atAgent.onPacket, AnnounceIP: nowhereIP}); err != nil {
		t.Fatalf("agent standby: %v", err)
	}
	t.Cleanup(c.am.Close)
	queued := request(t, c.station, "call.request", map[string]any{"item_id": itemOf(t, c.n, "medical_insurance")})
	reqID := field[string](t, queued, "request_id")
	if c.sm, err = c.station.StartStandby(ctx, client.MediaOptions{OnPacket: c.atStation.onPacket, AnnounceIP: nowhereIP}); err != nil {
		t.Fatalf("station standby: %v", err)
	}
	t.Cleanup(c.sm.Close)
	if got := field[string](t, next(t, c.agent, "call.offer"), "request_id"); got != reqID {
		t.Fatalf("agent offered %s, want %s", got, reqID)
	}
	started := request(t, c.agent, "call.accept", map[string]string{"request_id": reqID})
	c.callID = field[string](t, started, "call_id")
	for _, m := range []client.Message{started, next(t, c.station, "call.started")} {
		if !field[bool](t, m, "standby") {
			t.Fatalf("call.started does not say the standing connection carries the call: %s", m.Data)
		}
	}
}

// stopMedia stops sending and lets what is still on the link arrive.
func (c *islandCall) stopMedia() {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.wg.Wait()
	time.Sleep(500 * time.Millisecond)
}

// agentKeyframeRequests is how many keyframes the node asked of the agent's camera.
func (c *islandCall) agentKeyframeRequests(t *testing.T) uint64 {
	t.Helper()
	room := c.n.SFU.Room(c.callID)
	if room == nil {
		t.Fatal("the call ended")
	}
	for _, p := range room.Stats().Peers {
		if p.Party == "agent" {
			return p.KeyframeRequests
		}
	}
	t.Fatal("the agent has no media peer")
	return 0
}

// alive reports whether the call and both media connections are still up.
func (c *islandCall) alive() bool {
	return c.sm.State() == webrtc.PeerConnectionStateConnected && c.am.State() == webrtc.PeerConnectionStateConnected &&
		c.n.SFU.Room(c.callID) != nil
}

// TestIslandWeakLinkPausesVideoKeepsAudioAndResumes runs a call whose station is
// behind island-weak while the agent's camera sends more than the link carries.
// Video to the station pauses, both sides are told, audio keeps flowing; when the
// link recovers video comes back, with no call dropped.
func TestIslandWeakLinkPausesVideoKeepsAudioAndResumes(t *testing.T) {
	c := startIslandCall(t, islandWeakDown(), true)
	for _, cl := range []*client.Client{c.station, c.agent} {
		videoPaused(t, cl, true, 15*time.Second)
	}
	// From here on the estimate has found the link: audio must get through,
	// through a try at video on the still weak link too.
	sentAtPause, stationSentAtPause := c.ag.audioSent.Load(), c.st.audioSent.Load()
	time.Sleep(4 * time.Second)
	keyframesAsked := c.agentKeyframeRequests(t)
	pausedAt := c.atStation.get("agent-main/camera")
	c.link.SetProfile(linkemu.Profiles["good"])
	for _, cl := range []*client.Client{c.station, c.agent} {
		videoPaused(t, cl, false, 15*time.Second)
	}
	time.Sleep(time.Second)
	c.stopMedia()

	if got := c.agentKeyframeRequests(t); got <= keyframesAsked {
		t.Errorf("no keyframe was asked of the agent when video resumed (%d requests before, %d after)", keyframesAsked, got)
	}
	if got := c.atStation.get("agent-main/camera"); got <= pausedAt {
		t.Errorf("station received no video after the resume (%d packets before, %d after)", pausedAt, got)
	}
	first, total := c.atStation.firstHeard(), c.ag.audioSent.Load()
	sent, heard := total-int64(first), c.atStation.heardFrom(first)
	sentAfter, heardAfter := total-sentAtPause, c.atStation.heardFrom(uint32(sentAtPause))
	t.Logf("audio frames heard at the station: %d of %d (%.1f %%) from the first heard, %d of %d (%.1f %%) once video paused",
		heard, sent, pct(heard, sent), heardAfter, sentAfter, pct(heardAfter, sentAfter))
	if pct(heardAfter, sentAfter) < 90 {
		t.Errorf("once video paused the station heard %d of %d audio frames, want ≥ 90 %%", heardAfter, sentAfter)
	}
	// The agent's downlink shares the emulated link, so it is held to the same.
	if heard, sent := c.atAgent.heardFrom(uint32(stationSentAtPause)), c.st.audioSent.Load()-stationSentAtPause; pct(heard, sent) < 90 {
		t.Errorf("once video paused the agent heard %d of %d audio frames, want ≥ 90 %%", heard, sent)
	}
	if !c.alive() {
		t.Errorf("the call dropped: station %s, agent %s", c.sm.State(), c.am.State())
	}
	if _, down := c.link.Stats(); down.Delivered == 0 || down.DroppedQueue == 0 {
		t.Errorf("the link carried nothing or never filled its buffer: %+v", down)
	}
}
