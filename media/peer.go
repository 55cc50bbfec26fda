package media

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// Peer is one party's PeerConnection to the server.
type Peer struct {
	id, party string
	// prepared are the standing peers a ringing call pairs this one with
	// (SFU.Prepare); guarded by roomMu.
	prepared []*Peer
	// room is the room the peer is in: its standby room until a call
	// adopts it (Room.Adopt). Read it with currentRoom.
	roomMu   sync.Mutex
	room     *Room
	sig      Signaler
	pc       *webrtc.PeerConnection
	log      *slog.Logger
	metrics  *metrics
	counters peerCounters

	// Downlink adaptation (nil bwe: off). The gate, probe and cap belong to the room's
	// adaptation loop; videoPaused is read by the forwarding hot path.
	bwe     *downlinkBWE
	gate    videoGate
	probe   linkProbe
	capSent SendLimit // the last limit told to this peer as a publisher
	cap     publisherCap
	// thinDownlink marks a station known to be on a thin link before its
	// media flowed (ExpectThinDownlink): those who send to it speak at
	// speechRate.
	thinDownlink atomic.Bool
	// thinWatch finds a link that turns thin in the call; it belongs to the
	// room's adaptation loop, like the gate and the probe.
	thinWatch   thinWatch
	videoPaused atomic.Bool
	redFloor    redFloor
	linkLoss    linkLoss
	// budget holds resends to what the downlink estimate leaves after forwarding.
	budget sendBudget

	// negMu serialises everything that changes the session description.
	negMu        sync.Mutex
	pendingOffer string    // sent to the client, not yet committed; "" if none
	needsOffer   bool      // the local tracks changed since the last offer
	settleUntil  time.Time // no server offer before this (see answerSettle)
	nextMid      int
	// early holds the client's candidates that came before any session
	// description of theirs: a client may trickle its first candidates
	// ahead of its answer to the first server offer.
	early []webrtc.ICECandidateInit

	negotiate chan struct{} // wakes the negotiation loop; capacity 1 coalesces
	// inlineCandidates is set while HandleOffer waits for gathering: those
	// candidates go out inside the answer instead of ahead of it.
	inlineCandidates atomic.Bool

	// stateMu serialises the reports of connection state changes, and
	// reported is the last one passed on.
	stateMu  sync.Mutex
	reported webrtc.PeerConnectionState

	mu        sync.Mutex
	closed    bool
	connected bool
	sources   map[string]Source // the client's msid track id → source
	published []*upTrack
	downs     []*downTrack

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

func newPeer(r *Room, id, party string, sig Signaler) (*Peer, error) {
	pc, bwe, err := r.sfu.newPeerConnection()
	if err != nil {
		return nil, fmt.Errorf("join %s: new peer connection: %w", id, err)
	}
	p := &Peer{
		id: id, party: party, room: r, sig: sig, pc: pc, bwe: bwe,
		log:       r.log.With("peer", id, "party", party),
		metrics:   r.sfu.metrics,
		negotiate: make(chan struct{}, 1),
		sources:   make(map[string]Source),
		done:      make(chan struct{}),
	}
	if bwe != nil {
		p.gate = videoGate{cfg: *r.sfu.adapt}
	}
	pc.OnICECandidate(p.onLocalCandidate)
	pc.OnConnectionStateChange(p.onConnectionState)
	pc.OnTrack(p.onTrack)
	p.wg.Add(1)
	go p.negotiationLoop()
	return p, nil
}

// ID is the peer id given to Join.
func (p *Peer) ID() string { return p.id }

// Party is the party given to Join.
func (p *Peer) Party() string { return p.party }

// Close leaves the room and releases the PeerConnection and every goroutine of the
// peer. The subscribers of its tracks are renegotiated without them.
func (p *Peer) Close() {
	p.closeOnce.Do(func() {
		room := p.currentRoom()
		room.detach(p)
		p.forgetHeld()
		if room.standby {
			room.Close() // a standby room holds one peer and ends with it
		}
		p.mu.Lock()
		p.closed = true
		wasConnected := p.connected
		p.connected = false
		p.mu.Unlock()
		close(p.done)
		if err := p.pc.Close(); err != nil {
			p.log.Debug("close peer connection", "err", err)
		}
		p.endReads()
		p.wg.Wait()
		if wasConnected {
			p.metrics.peersConnected.Dec()
		}
		p.log.Info("peer closed")
	})
}

// endReads ends the read loops of the peer's tracks. Closing the
// PeerConnection should, but a connection given up while its DTLS handshake
// was ending (a moved call's) kept its tracks' streams open, and Close
// waited on their read loops for ever.
func (p *Peer) endReads() {
	for _, up := range p.publishedTracks() {
		up.stopReads()
	}
}

// currentRoom is the room the peer is in now.
func (p *Peer) currentRoom() *Room {
	p.roomMu.Lock()
	defer p.roomMu.Unlock()
	return p.room
}

// Done is closed when the peer is closed.
func (p *Peer) Done() <-chan struct{} { return p.done }

// RequestKeyframes asks every video track this peer publishes for a keyframe.
func (p *Peer) RequestKeyframes() {
	for _, up := range p.publishedTracks() {
		up.requestKeyframe()
	}
}

// AddCandidate applies a trickled ICE candidate from the client. One that
// comes before the client's first session description waits for it.
func (p *Peer) AddCandidate(c webrtc.ICECandidateInit) error {
	if len(c.Candidate) > maxCandidateSize {
		return fmt.Errorf("peer %s: candidate of %d bytes is too long", p.id, len(c.Candidate))
	}
	p.negMu.Lock()
	defer p.negMu.Unlock()
	if p.isClosed() {
		return fmt.Errorf("peer %s: add candidate: %w", p.id, errPeerClosed)
	}
	if p.pc.RemoteDescription() != nil {
		return p.addCandidate(c)
	}
	if err := checkCandidate(c.Candidate); err != nil {
		return fmt.Errorf("peer %s: add candidate %q: %w", p.id, c.Candidate, err)
	}
	if len(p.early) >= maxEarlyCandidates {
		return fmt.Errorf("peer %s: more than %d candidates before a session description", p.id, maxEarlyCandidates)
	}
	p.early = append(p.early, c)
	return nil
}

func (p *Peer) addCandidate(c webrtc.ICECandidateInit) error {
	if err := p.pc.AddICECandidate(c); err != nil {
		return fmt.Errorf("peer %s: add candidate %q: %w", p.id, c.Candidate, err)
	}
	return nil
}

// addEarlyCandidates applies the candidates that waited for the client's
// first session description; p.negMu must be held.
func (p *Peer) addEarlyCandidates() {
	for _, c := range p.early {
		if err := p.addCandidate(c); err != nil {
			p.log.Warn("early candidate refused", "err", err)
		}
	}
	p.early = nil
}

// checkCandidate parses a candidate line as AddICECandidate will; an empty
// one ends the client's candidates.
func checkCandidate(line string) error {
	if line == "" {
		return nil
	}
	_, err := ice.UnmarshalCandidate(strings.TrimPrefix(line, "candidate:"))
	return err
}

// maxEarlyCandidates bounds what a client may send ahead of its first
// description; a browser gathers a handful per network interface.
const maxEarlyCandidates = 32

var errPeerClosed = errors.New("peer closed")

// maxCandidateSize bounds a client's candidate line; real ones are under 200 bytes.
const maxCandidateSize = 1024

func (p *Peer) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// goTracked runs f on a goroutine that Close waits for, unless the peer is closed.
func (p *Peer) goTracked(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
	return true
}

func (p *Peer) onLocalCandidate(c *webrtc.ICECandidate) {
	if c == nil || p.inlineCandidates.Load() {
		return
	}
	p.sig.SendCandidate(c.ToJSON())
}

// onConnectionState passes on a change of the connection's state. pion calls
// it on a goroutine of its own for each change, so two calls can run out of
// order: each passes on the connection's state as it is by then,
// once. A disconnection handled after the reconnection that followed it would
// otherwise leave the call marked as reconnecting, and its timeline with a gap
// that never ends.
func (p *Peer) onConnectionState(webrtc.PeerConnectionState) {
	p.stateMu.Lock()
	defer p.stateMu.Unlock()
	s := p.pc.ConnectionState()
	if s == p.reported {
		return
	}
	p.reported = s
	p.mu.Lock()
	was := p.connected
	now := s == webrtc.PeerConnectionStateConnected && !p.closed
	p.connected = now
	downs := slices.Clone(p.downs)
	p.mu.Unlock()
	switch {
	case now && !was:
		p.metrics.peersConnected.Inc()
		// After a (re)connection the subscriber's decoders need a fresh keyframe.
		for _, d := range downs {
			d.requestKeyframe(false)
		}
	case was && !now:
		p.metrics.peersConnected.Dec()
	}
	p.log.Debug("connection state", "state", s.String())
	p.sig.ConnectionState(s)
}

// subscribe starts forwarding a track of another party to p: it adds a
// downTrack, or releases the one a ringing call prepared. The downTrack
// joins the track's fanout first: once there, the track's end is sure to
// unsubscribe it.
func (p *Peer) subscribe(up *upTrack) { p.subscribeHeld(up, false) }

// subscribeHeld is subscribe, with the downTrack held back if held.
func (p *Peer) subscribeHeld(up *upTrack, held bool) {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	// Checked under negMu, which orders this peer's subscriptions: a call is
	// prepared from more than one place at once, and a track offered twice
	// makes a browser refuse the whole offer (duplicate a=msid). A track
	// already there, held, is released if it is now to be forwarded.
	if have := up.downFor(p); have != nil {
		if !held {
			have.release()
		}
		return
	}
	d := newDownTrack(up, p)
	if held {
		d.hold.Store(holdOn)
	}
	if p.isClosed() || !up.addDown(d) {
		return
	}
	t, err := p.pc.AddTransceiverFromTrack(d, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		up.removeDowns(func(x *downTrack) bool { return x == d })
		p.log.Warn("subscribe", "track", up.info.Source, "from", up.info.PeerID, "err", err)
		return
	}
	// Server-chosen mids never collide with the numeric ones browsers pick, so a
	// client offer can never claim this transceiver for one of its own tracks.
	p.nextMid++
	if err := t.SetMid("s" + strconv.Itoa(p.nextMid)); err != nil {
		p.log.Warn("set mid", "err", err)
	}
	d.offeredPT, d.offeredRED, d.offeredFEC = offerCodecs(t, up)
	d.sender = t.Sender()
	p.mu.Lock()
	p.downs = append(p.downs, d)
	p.mu.Unlock()
	p.goTracked(d.readRTCP)
	p.needsOffer = true
	p.trigger()
}

// unsubscribe removes the downTrack of a track that ended.
func (p *Peer) unsubscribe(d *downTrack) {
	p.negMu.Lock()
	defer p.negMu.Unlock()
	p.mu.Lock()
	p.downs = slices.DeleteFunc(p.downs, func(x *downTrack) bool { return x == d })
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	if err := p.pc.RemoveTrack(d.sender); err != nil {
		p.log.Debug("remove track", "track", d.id, "err", err)
	}
	p.needsOffer = true
	p.trigger()
}

// offerCodecs makes the publisher's codec, under the publisher's payload type,
// the only media codec the transceiver offers: for audio with RED ahead of it
// where the publisher sends RED or the node builds it, for video with RED and
// ULPFEC after it. It returns the payload types offered; 0 where the
// preferences did not apply.
func offerCodecs(t *webrtc.RTPTransceiver, up *upTrack) (pt, redPT, fecPT webrtc.PayloadType) {
	if up.info.Kind == webrtc.RTPCodecTypeVideo {
		fec := fecCodecs()
		if t.SetCodecPreferences(append([]webrtc.RTPCodecParameters{up.info.Codec}, fec...)) == nil {
			return up.info.Codec.PayloadType, fec[0].PayloadType, fec[1].PayloadType
		}
	} else if up.redOffer != nil && t.SetCodecPreferences([]webrtc.RTPCodecParameters{*up.redOffer, up.info.Codec}) == nil {
		return up.info.Codec.PayloadType, up.redOffer.PayloadType, 0
	}
	if err := t.SetCodecPreferences([]webrtc.RTPCodecParameters{up.info.Codec}); err != nil {
		return 0, 0, 0
	}
	return up.info.Codec.PayloadType, 0, 0
}
