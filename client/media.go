package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"cloudwindow/media/dtlscert"
)

// MediaOptions chooses what a client publishes.
type MediaOptions struct {
	Document bool // also publish a document-camera video track
	// OnPacket, if set, sees every packet received, labelled by the sending
	// party's stream ("agent-main" …) and the track id ("camera", "audio" …).
	OnPacket func(stream, track string, p *rtp.Packet)
	// AnnounceIP, if set, replaces the client's loopback address in its ICE
	// candidates. Nothing listens there, so the node can reach the client only
	// through a relay the client sends to first, such as a link emulator.
	AnnounceIP string
	// TCP also tries ICE-TCP (as the active side), for a network that
	// blocks UDP.
	TCP bool
	// RED negotiates redundant audio (RFC 2198) for the audio received: the
	// node then repeats earlier Opus frames inside later packets. OnPacket sees
	// each packet's own (primary) frame as plain Opus.
	RED bool
	// OnRedundant, if set, sees every earlier frame a RED packet repeats, as a
	// packet with that frame's timestamp: a receiver rebuilds lost frames from
	// them.
	OnRedundant func(stream, track string, p *rtp.Packet)
}

// Media is the client's PeerConnection in a call.
type Media struct {
	// conn is the signaling session the media negotiates over; a resumed
	// session (Client.Resume) takes it over.
	conn   atomic.Pointer[Client]
	callID string
	pc     *webrtc.PeerConnection
	opts   MediaOptions
	// Tracks are the published tracks by source: "audio", "camera", "document".
	Tracks map[string]*webrtc.TrackLocalStaticRTP

	mu       sync.Mutex
	received map[string]int // packets by "stream/track"
	wg       sync.WaitGroup

	// negMu orders negotiation as the server sent it: a server offer that follows
	// the answer to the client's offer is applied after that answer, never in
	// between (pion would refuse it in have-local-offer and the server would wait
	// for its answer for ever).
	negMu sync.Mutex
	// offerID is the id of the client's last rtc.offer request, "" while that
	// offer is being made.
	offerID atomic.Pointer[string]
	// offersSent counts the client's offers put on the wire. A server offer
	// received before one of them was withdrawn by the server when ours
	// reached it, even if we only get to apply it afterwards.
	offersSent atomic.Int64
	// restarts counts ICE restarts, and those whose offer was answered.
	restarts, restartsAnswered atomic.Int32
	// serverOffers counts the server's offers this client answered.
	serverOffers atomic.Int32
}

// iceCheckingBindingRequests is pion's checking timeout (5 s disconnected +
// 25 s failed) over its check interval (200 ms).
const iceCheckingBindingRequests = 30 * 5

func newAPI(opts MediaOptions) (*webrtc.API, error) {
	var se webrtc.SettingEngine
	if opts.AnnounceIP != "" {
		rule := webrtc.ICEAddressRewriteRule{External: []string{opts.AnnounceIP}, AsCandidateType: webrtc.ICECandidateTypeHost}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			return nil, fmt.Errorf("announce %s: %w", opts.AnnounceIP, err)
		}
	}
	// pion gives up on a candidate pair after 7 unanswered checks (1.6 s): an
	// ICE restart made while the link is dark would then never see it come
	// back. Checking every pair for as long as pion waits for a connection
	// (30 s) catches the link's return within one check interval.
	se.SetICEMaxBindingRequests(iceCheckingBindingRequests)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetIncludeLoopbackCandidate(true)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if opts.TCP {
		networks = append(networks, webrtc.NetworkTypeTCP4)
	}
	se.SetNetworkTypes(networks)
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	if opts.RED {
		if err := me.RegisterCodec(redCodec(), webrtc.RTPCodecTypeAudio); err != nil {
			return nil, fmt.Errorf("register red: %w", err)
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		return nil, err
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir)), nil
}

// apiKey is what of MediaOptions shapes the pion API.
type apiKey struct {
	announceIP string
	tcp        bool
	red        bool
}

// The clients of one process share their pion APIs and DTLS certificate, as a
// browser does: a load generator with hundreds of parties would otherwise
// spend its CPU on media engines and ECDSA keys while calls start.
var (
	apisMu sync.Mutex
	apis   = map[apiKey]*webrtc.API{}
	certs  = dtlscert.New(0, nil)
)

// sharedAPI returns the process's API for opts, made on first use.
func sharedAPI(opts MediaOptions) (*webrtc.API, error) {
	key := apiKey{announceIP: opts.AnnounceIP, tcp: opts.TCP, red: opts.RED}
	apisMu.Lock()
	defer apisMu.Unlock()
	if api, ok := apis[key]; ok {
		return api, nil
	}
	api, err := newAPI(opts)
	if err != nil {
		return nil, err
	}
	apis[key] = api
	return api, nil
}

// newMedia opens a loopback-only PeerConnection for a call.
func (c *Client) newMedia(callID string, opts MediaOptions) (*Media, error) {
	api, err := sharedAPI(opts)
	if err != nil {
		return nil, fmt.Errorf("media engine: %w", err)
	}
	cfg, err := certs.Configuration(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, fmt.Errorf("new peer connection: %w", err)
	}
	m := &Media{callID: callID, pc: pc, opts: opts, Tracks: map[string]*webrtc.TrackLocalStaticRTP{}, received: map[string]int{}}
	m.conn.Store(c)
	return m, nil
}

// attach makes m the client's media: it receives tracks and the server's
// negotiation messages.
func (m *Media) attach() {
	m.pc.OnTrack(m.onTrack)
	m.pc.OnICECandidate(m.onCandidate)
	m.moveTo(m.conn.Load())
}

// moveTo makes c the session that carries m's negotiation.
func (m *Media) moveTo(c *Client) {
	m.conn.Store(c)
	c.mu.Lock()
	c.media = m
	c.mu.Unlock()
}

// publish adds a sending track for source, labelled trackID in sources.
func (m *Media) publish(source, mime, trackID string, sources map[string]string) error {
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime}, trackID, "local-"+source)
	if err != nil {
		return err
	}
	if _, err := m.pc.AddTransceiverFromTrack(tr, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv}); err != nil {
		return err
	}
	m.Tracks[source], sources[trackID] = tr, source
	return nil
}

// StartMedia opens the call's PeerConnection (loopback only), publishes
// Opus audio and VP8 camera (and document) tracks and negotiates them.
func (c *Client) StartMedia(ctx context.Context, callID string, opts MediaOptions) (*Media, error) {
	m, err := c.newMedia(callID, opts)
	if err != nil {
		return nil, err
	}
	tracks := [][2]string{{"audio", webrtc.MimeTypeOpus}, {"camera", webrtc.MimeTypeVP8}}
	if opts.Document {
		tracks = append(tracks, [2]string{"document", webrtc.MimeTypeVP8})
	}
	sources := map[string]string{}
	for _, t := range tracks {
		if err := m.publish(t[0], t[1], t[0][:1]+"-"+callID[:min(8, len(callID))], sources); err != nil {
			m.pc.Close()
			return nil, err
		}
	}
	m.attach()
	if err := m.offer(ctx, sources, true, false); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// StandbyCallID is the call_id of a standing media connection.
const StandbyCallID = "standby"

// StartStandby connects the client's media ahead of a call (a ready agent,
// a queued station) as StartMedia does, under the call_id "standby". The
// node forwards nothing of it until a call adopts it at accept; the call's
// call.started then says "standby": true and this Media carries the call.
func (c *Client) StartStandby(ctx context.Context, opts MediaOptions) (*Media, error) {
	return c.StartMedia(ctx, StandbyCallID, opts)
}

// Watch joins a running call as a watching supervisor: the server offers
// both parties' tracks, and nothing is sent.
func (c *Client) Watch(ctx context.Context, callID string, opts MediaOptions) (*Media, error) {
	m, err := c.newMedia(callID, opts)
	if err != nil {
		return nil, err
	}
	m.attach()
	if _, err := c.Request(ctx, "monitor.start", map[string]string{"call_id": callID}); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// offer sends a client offer and applies the server's answer.
func (m *Media) offer(ctx context.Context, sources map[string]string, fresh, iceRestart bool) error {
	m.negMu.Lock()
	defer m.negMu.Unlock()
	// A server offer from here on until the answer crosses this one.
	preparing := ""
	m.offerID.Store(&preparing)
	defer m.offerID.CompareAndSwap(&preparing, nil)
	offer, err := m.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: iceRestart})
	if err != nil {
		return fmt.Errorf("create offer: %w", err)
	}
	if err := m.pc.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("set local offer: %w", err)
	}
	payload := map[string]any{"call_id": m.callID, "sdp": offer.SDP, "fresh": fresh, "sources": sources}
	reply, err := m.conn.Load().request(ctx, "rtc.offer", payload, func(id string) {
		m.offerID.Store(&id)
		m.offersSent.Add(1)
	})
	if err != nil {
		return err
	}
	var ans struct{ SDP string }
	json.Unmarshal(reply.Data, &ans)
	return m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP})
}

// RestartICE renegotiates with new ICE credentials, as a client does after
// its network changed.
func (m *Media) RestartICE(ctx context.Context) error {
	m.restarts.Add(1)
	if err := m.offer(ctx, nil, false, true); err != nil {
		return fmt.Errorf("ice restart: %w", err)
	}
	m.restartsAnswered.Add(1)
	return nil
}

// Restarts is how many ICE restarts were made, and how many of them the
// server answered.
func (m *Media) Restarts() (made, answered int) {
	return int(m.restarts.Load()), int(m.restartsAnswered.Load())
}

func (m *Media) onCandidate(ci *webrtc.ICECandidate) {
	if ci == nil {
		return
	}
	init := ci.ToJSON()
	m.conn.Load().Send("rtc.candidate", map[string]any{"call_id": m.callID, "candidate": init.Candidate, "sdp_mid": init.SDPMid, "sdp_mline_index": init.SDPMLineIndex})
}

// handles takes the server's negotiation messages for this call.
func (m *Media) handles(msg Message) bool {
	switch msg.Type {
	case "rtc.offer":
		var d struct {
			CallID string `json:"call_id"`
			SDP    string `json:"sdp"`
		}
		json.Unmarshal(msg.Data, &d)
		// Counted before looking at offerID, so that an offer of ours
		// starting in between is either seen there or counted after.
		sent := m.offersSent.Load()
		if id := m.offerID.Load(); id != nil && (*id == "" || m.conn.Load().awaitingReply(*id)) {
			// It crossed the client's own offer: the server drops it and
			// offers again after its answer.
			return true
		}
		go m.answer(d.SDP, sent)
		return true
	case "rtc.candidate":
		var d struct {
			Candidate     string  `json:"candidate"`
			SDPMid        *string `json:"sdp_mid"`
			SDPMLineIndex *uint16 `json:"sdp_mline_index"`
		}
		json.Unmarshal(msg.Data, &d)
		m.pc.AddICECandidate(webrtc.ICECandidateInit{Candidate: d.Candidate, SDPMid: d.SDPMid, SDPMLineIndex: d.SDPMLineIndex})
		return true
	}
	return false
}

// answer applies a server offer received when the client had put sent
// offers of its own on the wire. It runs off the read loop because it waits for the
// server's acknowledgement, and so it may get negMu only after an offer of
// ours that the server took as a collision: that offer withdrew this one, and
// answering it would hand the server an answer to an offer it no longer has
// (applied to its next offer instead, or with the ICE credentials of before an
// ICE restart). The server offers again after its answer.
func (m *Media) answer(sdp string, sent int64) {
	m.negMu.Lock()
	defer m.negMu.Unlock()
	if m.offersSent.Load() != sent {
		return
	}
	if err := m.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return
	}
	ans, err := m.pc.CreateAnswer(nil)
	if err != nil {
		return
	}
	if err := m.pc.SetLocalDescription(ans); err != nil {
		return
	}
	if _, err := m.conn.Load().Request(context.Background(), "rtc.answer", map[string]string{"call_id": m.callID, "sdp": ans.SDP}); err == nil {
		m.serverOffers.Add(1)
	}
}

// ServerOffersAnswered is how many of the server's offers this client has
// answered and the server has taken. On a standing connection the first
// one is the ringing call's preparation: the other party's tracks, held.
func (m *Media) ServerOffersAnswered() int { return int(m.serverOffers.Load()) }

func (m *Media) onTrack(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
	key := tr.StreamID() + "/" + tr.ID()
	// Reading the server's sender reports lets the receiver reports carry
	// them back (LSR/DLSR), as a browser's do, so the server knows the RTT.
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			if _, _, err := recv.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			m.mu.Lock()
			m.received[key]++
			m.mu.Unlock()
			if isRED(tr) && p.PayloadType == uint8(tr.Codec().PayloadType) {
				m.splitREDPacket(tr.StreamID(), tr.ID(), p)
			} else if m.opts.OnPacket != nil {
				m.opts.OnPacket(tr.StreamID(), tr.ID(), p)
			}
		}
	}()
}

// Received returns packets received so far by "stream/track".
func (m *Media) Received() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]int, len(m.received))
	for k, v := range m.received {
		out[k] = v
	}
	return out
}

// SelectedPair is the candidate pair the media flows over, nil before one is chosen.
func (m *Media) SelectedPair() *webrtc.ICECandidatePair {
	for _, tr := range m.pc.GetTransceivers() {
		if s := tr.Sender(); s != nil && s.Transport() != nil {
			if p, err := s.Transport().ICETransport().GetSelectedCandidatePair(); err == nil && p != nil {
				return p
			}
		}
	}
	return nil
}

// State is the PeerConnection's state.
func (m *Media) State() webrtc.PeerConnectionState { return m.pc.ConnectionState() }

// Close ends the PeerConnection and waits for its readers.
func (m *Media) Close() {
	m.pc.Close()
	m.wg.Wait()
	c := m.conn.Load()
	c.mu.Lock()
	if c.media == m {
		c.media = nil
	}
	c.mu.Unlock()
}
