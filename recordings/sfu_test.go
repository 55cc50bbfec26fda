package recordings

import (
	"context"
	"encoding/binary"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// TestRecordsACallThroughTheSFU publishes a station's camera and
// microphone from a pion client into an SFU room the recorder joined, for
// real (loopback only, real time, real sender reports), and checks the file.
func TestRecordsACallThroughTheSFU(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time call")
	}
	quiet := slog.New(slog.DiscardHandler)
	sfu, err := media.New(media.Config{LoopbackOnly: true, TCPPort: -1, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sfu.Close() })
	rec, err := New(Config{Dir: t.TempDir(), DB: testSQLite(t), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	room, err := sfu.NewRoom(testCall.ID)
	if err != nil {
		t.Fatal(err)
	}
	room.AddSink(rec.SinkFactory(testCall))

	c := newStationClient(t, room)
	// Four seconds: at least 50 video and 100 audio blocks even when a busy
	// machine delays the publisher.
	c.publish(t, 4*time.Second)
	room.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := rec.Wait(ctx, testCall.ID); err != nil {
		t.Fatal(err)
	}

	d, err := rec.Session(ctx, testCall.ID)
	if err != nil || d.Status != StatusFinished || len(d.Files) != 1 || d.Files[0].Tracks != "VP8+Opus" {
		t.Fatalf("session = %+v, %v", d, err)
	}
	f := parseFile(t, filepath.Join(rec.dir, filepath.FromSlash(d.Files[0].Path)))
	vb, ab := f.blocksOf(f.trackNumber(t, "V_VP8")), f.blocksOf(f.trackNumber(t, "A_OPUS"))
	if len(vb) < 50 || len(ab) < 100 || !vb[0].key {
		t.Fatalf("%d video blocks (first key: %v), %d audio blocks", len(vb), len(vb) > 0 && vb[0].key, len(ab))
	}
	// The publisher's pace drifts from its capture clock on a busy test
	// machine, so compare audio and video captured at the same instant.
	audioAt := map[time.Duration]time.Duration{}
	for _, b := range ab {
		audioAt[captureOf(false, b.data)] = b.at
	}
	pairs, worst := 0, time.Duration(0)
	for _, b := range vb {
		if a, ok := audioAt[captureOf(true, b.data)]; ok {
			pairs++
			worst = max(worst, a-b.at, b.at-a)
		}
	}
	if pairs < 50 || worst > 100*time.Millisecond {
		t.Errorf("audio and video captured together are up to %v apart in the file (%d pairs), want ≤ 100 ms", worst, pairs)
	}
}

type stationClient struct {
	pc           *webrtc.PeerConnection
	peer         *media.Peer
	audio, video *webrtc.TrackLocalStaticRTP
	mu           sync.Mutex // serialises signaling, as a WebSocket would
	pending      []webrtc.ICECandidateInit
	connected    chan struct{}
}

func newStationClient(t *testing.T, room *media.Room) *stationClient {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c := &stationClient{pc: pc, connected: make(chan struct{})}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	c.audio, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "station-main")
	c.video, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "camera", "station-main")
	for _, tr := range []webrtc.TrackLocal{c.audio, c.video} {
		sender, err := pc.AddTrack(tr)
		if err != nil {
			t.Fatal(err)
		}
		go func() { // read RTCP so the sender's interceptors run
			for {
				if _, _, err := sender.ReadRTCP(); err != nil {
					return
				}
			}
		}()
	}
	if c.peer, err = room.Join("station-1", "station", c); err != nil {
		t.Fatal(err)
	}
	c.negotiate(t)
	return c
}

func (c *stationClient) negotiate(t *testing.T) {
	t.Helper()
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	answer, err := c.peer.HandleOffer(c.pc.LocalDescription().SDP, map[string]media.Source{"audio": media.SourceAudio, "camera": media.SourceCamera})
	if err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	err = c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
	for _, ci := range c.pending {
		c.pc.AddICECandidate(ci)
	}
	c.pending = nil
	c.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the client never connected")
	}
}

// publish sends 20 ms audio frames and 25 fps video for length, at
// real-time pace. RTP timestamps and the capture times the frames carry
// both come from the clock, as a browser's do, so a late tick on a busy
// machine delays a frame without putting audio and video out of step.
func (c *stationClient) publish(t *testing.T, length time.Duration) {
	t.Helper()
	tick := time.NewTicker(audioFrame)
	defer tick.Stop()
	vp8 := &codecs.VP8Payloader{EnablePictureID: true}
	var aseq, vseq uint16
	start := time.Now()
	for i := 0; time.Since(start) < length; i++ {
		<-tick.C
		capture := time.Since(start).Truncate(time.Millisecond)
		frame := make([]byte, 60)
		frame[0] = 0x78
		binary.BigEndian.PutUint64(frame[1:], uint64(capture.Milliseconds()))
		c.write(t, c.audio, &aseq, uint32(capture.Milliseconds()*48), [][]byte{frame})
		if i%2 == 0 {
			payloads := vp8.Payload(1200, vp8Frame(i%50 == 0, capture))
			c.write(t, c.video, &vseq, uint32(capture.Milliseconds()*90), payloads)
		}
	}
}

func (c *stationClient) write(t *testing.T, track *webrtc.TrackLocalStaticRTP, seq *uint16, ts uint32, payloads [][]byte) {
	for k, p := range payloads {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: *seq, Timestamp: ts, Marker: k == len(payloads)-1}, Payload: p}
		*seq++
		if err := track.WriteRTP(pkt); err != nil {
			t.Fatal(err)
		}
	}
}

// The media.Signaler side: the server's messages to this client.

func (c *stationClient) SendOffer(string) {} // a lone publisher gets no server offers

func (c *stationClient) SendCandidate(ci webrtc.ICECandidateInit) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pc.RemoteDescription() == nil {
		c.pending = append(c.pending, ci)
		return
	}
	c.pc.AddICECandidate(ci)
}

func (c *stationClient) ConnectionState(webrtc.PeerConnectionState) {}
