package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// waitTimeout bounds how long a test waits for media to show up; it is a liveness
// bound, not a speed assertion.
const waitTimeout = 15 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestSFU(t *testing.T) *SFU { return newTestSFUWith(t, Config{}) }

// newAdaptingSFU is newTestSFU with downlink adaptation on, as the product runs.
func newAdaptingSFU(t *testing.T) *SFU { return newTestSFUWith(t, Config{AdaptDownlink: true}) }

func newTestSFUWith(t *testing.T, cfg Config) *SFU {
	t.Helper()
	cfg.LoopbackOnly, cfg.Logger = true, quietLogger()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("new sfu: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func newTestRoom(t *testing.T, s *SFU, id string) *Room {
	t.Helper()
	r, err := s.NewRoom(id)
	if err != nil {
		t.Fatalf("new room: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

// clientOptions shape a test client's pion stack.
type clientOptions struct {
	drop          *dropFactory // drops one received video packet
	tcpOnly       bool
	noReplayCheck bool // let a retransmitted packet through SRTP (the drop happens after decryption)
	// udpMux is the client's one UDP socket (e.g. over a lossyLink); nil: pion's own.
	udpMux        ice.UDPMux
	firefoxCodecs bool   // number codecs as Firefox does (Opus 109, VP8 120), not as Chromium and pion do
	red           bool   // offer RED after Opus, as Chromium does, and publish audio as RED
	holdOffers    bool   // hold the server's offers from the start (see deliverHeld)
	twcc          bool   // send transport-wide feedback, as browsers do
	neverSend     uint16 // a sequence number the camera never sends (0: none)
}

// testClient is an in-process pion client: a browser stand-in for one party.
type testClient struct {
	t     *testing.T
	party string
	pc    *webrtc.PeerConnection
	peer  *Peer
	red   bool

	ops     chan func()
	stop    chan struct{}
	loopEnd chan struct{}
	wg      sync.WaitGroup // publishers and track readers

	closeOnce     sync.Once
	holdOffers    atomic.Bool
	ignoredOffers atomic.Int32
	state         atomic.Value              // webrtc.PeerConnectionState
	limit         atomic.Pointer[SendLimit] // the last one the server told
	neverSend     uint16
	nacksForNever atomic.Int32 // NACKs naming neverSend

	mu        sync.Mutex
	held      []string
	pendingC  []webrtc.ICECandidateInit
	sources   map[string]Source
	received  map[string]*receivedTrack // by "<stream>/<track>"
	plis      map[string]*atomic.Int32  // keyframe requests seen, by published track id
	lastSent  sync.Map                  // Source → *atomic.Uint32: sequence number last written
	pubStop   chan struct{}
	published map[string]*webrtc.RTPSender
}

// receivedTrack counts what a client got on one downstream track.
type receivedTrack struct {
	ssrc       uint32
	ended      atomic.Bool
	packets    atomic.Int64
	mismatches atomic.Int64
	seqs       sync.Map      // uint16 → struct{}
	firstSeq   atomic.Uint32 // the first packet's sequence number | seqValid
	payloadPTs sync.Map      // webrtc.PayloadType → struct{}: the payload types the packets came with
}

func clientAPI(t *testing.T, opts clientOptions) *webrtc.API {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if opts.firefoxCodecs {
		registerFirefoxCodecs(t, m)
	} else if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	if opts.red {
		if err := m.RegisterCodec(redCodec(), webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	ir := &interceptor.Registry{}
	if opts.drop != nil {
		// Registered before the NACK generator, so the generator sees the gap.
		ir.Add(opts.drop)
	}
	gen, _ := nack.NewGeneratorInterceptor(nack.GeneratorInterval(20 * time.Millisecond))
	resp, _ := nack.NewResponderInterceptor()
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	ir.Add(resp)
	ir.Add(gen)
	if err := webrtc.ConfigureRTCPReportsWithOptions(ir, nil, report.SenderInterval(100*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if opts.twcc {
		if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
			t.Fatal(err)
		}
	}
	var se webrtc.SettingEngine
	se.LoggerFactory = pionLoggerFactory{log: quietLogger()}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	if opts.tcpOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4})
	}
	if opts.noReplayCheck {
		se.DisableSRTPReplayProtection(true)
	}
	if opts.udpMux != nil {
		se.SetICEUDPMux(opts.udpMux)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
}

// joinClient joins a room as party with a fresh pion client.
func joinClient(t *testing.T, r *Room, peerID, party string, opts clientOptions) *testClient {
	t.Helper()
	return connectClient(t, party, opts, func(sig Signaler) (*Peer, error) { return r.Join(peerID, party, sig) })
}

// connectClient makes a fresh pion client of party whose server side join makes.
func connectClient(t *testing.T, party string, opts clientOptions, join func(Signaler) (*Peer, error)) *testClient {
	t.Helper()
	pc, err := clientAPI(t, opts).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	c := &testClient{
		t: t, party: party, pc: pc, red: opts.red,
		ops: make(chan func(), 256), stop: make(chan struct{}), loopEnd: make(chan struct{}),
		sources: map[string]Source{}, received: map[string]*receivedTrack{},
		plis: map[string]*atomic.Int32{}, pubStop: make(chan struct{}),
		published: map[string]*webrtc.RTPSender{},
	}
	c.holdOffers.Store(opts.holdOffers)
	c.neverSend = opts.neverSend
	pc.OnTrack(c.onTrack)
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) { c.state.Store(s) })
	peer, err := join(testSignaler{c})
	if err != nil {
		t.Fatalf("join %s: %v", party, err)
	}
	c.peer = peer
	// Started after Join: a server offer sent meanwhile waits in ops.
	go c.loop()
	t.Cleanup(c.close)
	return c
}

func (c *testClient) loop() {
	defer close(c.loopEnd)
	for {
		select {
		case f := <-c.ops:
			f()
		case <-c.stop:
			return
		}
	}
}

// do runs f on the client's loop, where every signaling step happens in order.
func (c *testClient) do(f func() error) error {
	errc := make(chan error, 1)
	select {
	case c.ops <- func() { errc <- f() }:
	case <-c.stop:
		return errors.New("client stopped")
	}
	return <-errc
}

// close stops the client's publishers, loop and PeerConnection; it is idempotent.
func (c *testClient) close() {
	c.closeOnce.Do(func() {
		c.stopPublishing()
		close(c.stop)
		<-c.loopEnd
		_ = c.pc.Close()
		c.wg.Wait()
	})
}

func (c *testClient) stopPublishing() {
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.pubStop:
	default:
		close(c.pubStop)
	}
}

// testSignaler delivers the server's messages to the client's loop.
type testSignaler struct{ c *testClient }

func (s testSignaler) SendOffer(sdp string) {
	s.c.post(func() { s.c.onServerOffer(sdp) })
}

func (s testSignaler) SendCandidate(ci webrtc.ICECandidateInit) {
	s.c.post(func() { s.c.onServerCandidate(ci) })
}

func (s testSignaler) ConnectionState(webrtc.PeerConnectionState) {}

func (s testSignaler) VideoPaused(bool) {}

func (s testSignaler) BitrateLimit(l SendLimit) { s.c.limit.Store(&l) }

func (c *testClient) post(f func()) {
	select {
	case c.ops <- f:
	case <-c.stop:
	}
}

// onServerOffer answers a server offer, as an impolite client would: an offer that
// collides with the client's own is ignored.
func (c *testClient) onServerOffer(sdp string) {
	if c.holdOffers.Load() {
		c.mu.Lock()
		c.held = append(c.held, sdp)
		c.mu.Unlock()
		return
	}
	if c.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		c.ignoredOffers.Add(1)
		return
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		c.t.Errorf("%s: apply server offer: %v", c.party, err)
		return
	}
	c.flushCandidates()
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		c.t.Errorf("%s: create answer: %v", c.party, err)
		return
	}
	if err := c.setLocalAndGather(answer); err != nil {
		c.t.Errorf("%s: set answer: %v", c.party, err)
		return
	}
	if err := c.peer.HandleAnswer(c.pc.LocalDescription().SDP); err != nil {
		c.t.Errorf("%s: server rejected answer: %v", c.party, err)
	}
}

func (c *testClient) onServerCandidate(ci webrtc.ICECandidateInit) {
	if c.pc.RemoteDescription() == nil {
		c.mu.Lock()
		c.pendingC = append(c.pendingC, ci)
		c.mu.Unlock()
		return
	}
	if err := c.pc.AddICECandidate(ci); err != nil {
		c.t.Errorf("%s: add server candidate: %v", c.party, err)
	}
}

func (c *testClient) flushCandidates() {
	c.mu.Lock()
	pending := c.pendingC
	c.pendingC = nil
	c.mu.Unlock()
	for _, ci := range pending {
		c.onServerCandidate(ci)
	}
}

func (c *testClient) setLocalAndGather(d webrtc.SessionDescription) error {
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(d); err != nil {
		return err
	}
	<-gathered
	return nil
}

// negotiate sends a client offer. beforeSend runs while the offer is the client's
// pending local description, which is where a crossing server offer would land. The
// answer is queued behind whatever the server sent before it, as on a WebSocket.
func (c *testClient) negotiate(opts *webrtc.OfferOptions, beforeSend func()) (answer string, err error) {
	applied := make(chan error, 1)
	err = c.do(func() error {
		offer, err := c.pc.CreateOffer(opts)
		if err != nil {
			return err
		}
		if err := c.setLocalAndGather(offer); err != nil {
			return err
		}
		if beforeSend != nil {
			beforeSend()
		}
		answer, err = c.peer.HandleOffer(c.pc.LocalDescription().SDP, c.sourceMap())
		if err != nil {
			return fmt.Errorf("server offer handling: %w", err)
		}
		c.post(func() {
			err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer})
			c.flushCandidates()
			applied <- err
		})
		return nil
	})
	if err != nil {
		return "", err
	}
	select {
	case err = <-applied:
	case <-c.stop:
		err = errors.New("client stopped")
	}
	return answer, err
}

func (c *testClient) sourceMap() map[string]Source {
	c.mu.Lock()
	defer c.mu.Unlock()
	sources := make(map[string]Source, len(c.sources))
	for k, v := range c.sources {
		sources[k] = v
	}
	return sources
}

// deliverHeld hands the held server offers to the client as if they arrived now.
func (c *testClient) deliverHeld() {
	c.holdOffers.Store(false)
	c.mu.Lock()
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, sdp := range held {
		c.onServerOffer(sdp)
	}
}

func (c *testClient) heldOffers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.held)
}

// publish adds a track that sends a generated packet every few milliseconds; every
// payload is a function of the party, source and sequence number, so receivers can
// check it byte for byte.
func (c *testClient) publish(src Source) {
	c.t.Helper()
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	if src == SourceAudio {
		codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
		if c.red {
			codec = redCodec().RTPCodecCapability
		}
	}
	id := c.party + "-" + string(src) + "-track"
	track, err := webrtc.NewTrackLocalStaticRTP(codec, id, c.party+"-local")
	if err != nil {
		c.t.Fatal(err)
	}
	sender, err := c.pc.AddTrack(track)
	if err != nil {
		c.t.Fatal(err)
	}
	plis := &atomic.Int32{}
	c.mu.Lock()
	c.sources[id] = src
	c.plis[id] = plis
	c.published[id] = sender
	c.mu.Unlock()
	c.wg.Add(2)
	go c.sendLoop(track, c.party, src, c.red && src == SourceAudio)
	go c.readPublisherRTCP(sender, plis)
}

func (c *testClient) sendLoop(track *webrtc.TrackLocalStaticRTP, party string, src Source, red bool) {
	defer c.wg.Done()
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	last, _ := c.lastSent.LoadOrStore(src, &atomic.Uint32{})
	for seq := uint16(1); ; seq++ {
		select {
		case <-c.pubStop:
			return
		case <-ticker.C:
		}
		pkt := &rtp.Packet{
			Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: true},
			Payload: testPayload(party, src, seq),
		}
		if red {
			pkt.Payload = testREDPayload(party, src, seq)
		}
		if src == SourceCamera && seq == c.neverSend {
			continue
		}
		if err := track.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			return
		}
		last.(*atomic.Uint32).Store(uint32(seq))
	}
}

// sent is the sequence number the client last wrote on its track of src.
func (c *testClient) sent(src Source) uint16 {
	last, ok := c.lastSent.Load(src)
	if !ok {
		return 0
	}
	return uint16(last.(*atomic.Uint32).Load())
}

// testKeyframeEvery is how often, in packets, a test client's video starts a
// keyframe.
const testKeyframeEvery = 50

func testPayload(party string, src Source, seq uint16) []byte {
	n := 40 + int(seq%300)
	b := make([]byte, n)
	b[0] = 0x10 // a VP8 payload descriptor with S set, then the frame tag
	b[1] = 0x01 // an interframe
	if seq%testKeyframeEvery == 0 {
		b[1] = 0x00
	}
	copy(b[2:], party+"/"+string(src))
	for i := 2 + len(party) + 1 + len(src); i < n; i++ {
		b[i] = byte(int(seq)*7 + i)
	}
	return b
}

// testREDPayload is a RED payload (RFC 2198) with testPayload of seq as its
// primary block and that of seq-1 as the redundant one, as Chromium sends
// Opus with RED.
func testREDPayload(party string, src Source, seq uint16) []byte {
	older, primary := testPayload(party, src, seq-1), testPayload(party, src, seq)
	// F=1, PT 111, timestamp offset 3000 (14 bits), block length (10 bits).
	hdr := []byte{0x80 | 111, byte(3000 >> 6), byte(3000<<2&0xfc | len(older)>>8), byte(len(older))}
	return bytes.Join([][]byte{hdr, {111}, older, primary}, nil)
}

func (c *testClient) readPublisherRTCP(sender *webrtc.RTPSender, plis *atomic.Int32) {
	defer c.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication:
				plis.Add(1)
			case *rtcp.TransportLayerNack:
				if c.neverSend != 0 && slices.ContainsFunc(p.Nacks, func(n rtcp.NackPair) bool {
					return slices.Contains(n.PacketList(), c.neverSend)
				}) {
					c.nacksForNever.Add(1)
				}
			}
		}
	}
}

func (c *testClient) onTrack(remote *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	key := remote.StreamID() + "/" + remote.ID()
	rt := &receivedTrack{ssrc: uint32(remote.SSRC())}
	c.mu.Lock()
	c.received[key] = rt
	c.mu.Unlock()
	party, src := splitStream(remote.StreamID(), remote.ID())
	want := testPayload
	if isRED(remote.Codec()) {
		want = testREDPayload
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer rt.ended.Store(true)
		for {
			pkt, _, err := remote.ReadRTP()
			if err != nil {
				return
			}
			if !bytes.Equal(pkt.Payload, want(party, src, pkt.SequenceNumber)) {
				rt.mismatches.Add(1)
			}
			rt.seqs.Store(pkt.SequenceNumber, struct{}{})
			rt.firstSeq.CompareAndSwap(0, uint32(pkt.SequenceNumber)|seqValid)
			rt.payloadPTs.Store(webrtc.PayloadType(pkt.PayloadType), struct{}{})
			rt.packets.Add(1)
		}
	}()
}

// splitStream recovers the publishing party from a downstream stream id.
func splitStream(stream, track string) (string, Source) {
	for _, suffix := range []string{"-main", "-document"} {
		if len(stream) > len(suffix) && stream[len(stream)-len(suffix):] == suffix {
			return stream[:len(stream)-len(suffix)], Source(track)
		}
	}
	return stream, Source(track)
}

func (c *testClient) track(stream, id string) *receivedTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.received[stream+"/"+id]
}

// waitPackets waits until the client has received at least n packets on the track.
func (c *testClient) waitPackets(stream, id string, n int64) *receivedTrack {
	c.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if rt := c.track(stream, id); rt != nil && rt.packets.Load() >= n {
			return rt
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.mu.Lock()
	var have []string
	for k, v := range c.received {
		have = append(have, fmt.Sprintf("%s:%d", k, v.packets.Load()))
	}
	c.mu.Unlock()
	c.t.Fatalf("%s: no %d packets on %s/%s; received %v", c.party, n, stream, id, have)
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// dropFactory builds an interceptor that drops the incoming video packet that comes
// dropAfter packets after the first one, the first time it arrives, as a lossy link
// would. The drop happens after SRTP decryption, so the client must accept the
// retransmission as a replay.
type dropFactory struct {
	dropAfter uint16
	last      atomic.Pointer[dropper]
}

func (f *dropFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	d := &dropper{after: f.dropAfter}
	f.last.Store(d)
	return d, nil
}

type dropper struct {
	interceptor.NoOp
	after uint16

	mu      sync.Mutex
	started bool
	target  uint16
	done    bool
	dropped atomic.Int32
}

// Target is the sequence number chosen for dropping; valid once Dropped() > 0.
func (d *dropper) Target() uint16 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.target
}

func (d *dropper) shouldDrop(seq uint16) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.started {
		d.started, d.target = true, seq+d.after
	}
	if d.done || seq != d.target {
		return false
	}
	d.done = true
	return true
}

func (d *dropper) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if info.MimeType != webrtc.MimeTypeVP8 {
		return reader
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := reader.Read(b, a)
			if err != nil || n < 4 {
				return n, attr, err
			}
			if !d.shouldDrop(uint16(b[2])<<8 | uint16(b[3])) {
				return n, attr, err
			}
			d.dropped.Add(1)
		}
	})
}
