package signaling

import (
	"fmt"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// peerOf returns sess's media peer in the call, nil if it has none.
func (c *call) peerOf(sess *session) callPeer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.find(sess); p != nil {
		return p.peer
	}
	return nil
}

// freshPeer gives sess a new media peer: the client made a new
// PeerConnection (its first offer, a page reload, or a watcher who now
// speaks). The old one, if any, is closed.
func (c *call) freshPeer(sess *session) (callPeer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, protoErr(CodeInvalidState, "call %s has ended", c.id)
	}
	p := c.find(sess)
	if p == nil {
		return nil, protoErr(CodeInvalidState, "you are not in call %s", c.id)
	}
	return c.connect(p)
}

// connect joins p's new peer to the room, its routing set first so that it
// receives only what it may from the start. c.mu held.
func (c *call) connect(p *participant) (callPeer, error) {
	if p.peer != nil {
		p.peer.Close()
		p.peer = nil
	}
	p.standby = false
	p.party = c.freeParty(p, p.mediaParty())
	p.peerID = newSecret(p.party + "-")
	p.sink.Store(p.sess)
	c.applyRouting()
	peer, err := c.room.Join(p.peerID, p.party, participantSignaler{call: c, p: p})
	if err != nil {
		p.peerID = ""
		return nil, fmt.Errorf("join room %s: %w", c.id, err)
	}
	if p.sess.thinLink() {
		peer.ExpectThinDownlink()
	}
	p.peer = peer
	return peer, nil
}

// freeParty is label, or label-2, label-3 … when someone else in the call
// has it already (two supervisors barged in), so that each participant's
// media has a stream and a recording of its own. Watchers share theirs:
// nothing of it is forwarded or recorded. c.mu held.
func (c *call) freeParty(p *participant, label string) string {
	if label == media.PartyMonitor {
		return label
	}
	taken := func(l string) bool {
		return slices.ContainsFunc(c.parts, func(q *participant) bool { return q != p && q.party == l })
	}
	out := label
	for n := 2; taken(out); n++ {
		out = fmt.Sprintf("%s-%d", label, n)
	}
	return out
}

// watch joins sess as a supervisor who sees and hears everyone and sends
// nothing; the server makes the offer.
func (c *call) watch(sess *session) (callStartedData, error) {
	if err := c.join(sess, roleSupervisor, hearOnly); err != nil {
		return callStartedData{}, err
	}
	if _, err := c.freshPeer(sess); err != nil {
		c.leave(sess)
		return callStartedData{}, err
	}
	return c.startedFor(sess), nil
}

// participantSignaler carries one participant's negotiation from the SFU to
// their client, and tells the others when their media connection wavers.
type participantSignaler struct {
	call *call
	p    *participant
}

var _ media.LinkNotifier = participantSignaler{}

func (s participantSignaler) SendOffer(sdp string) {
	s.p.sink.Load().push(TypeRTCOffer, rtcAnswerData{CallID: s.call.id, SDP: sdp})
}

func (s participantSignaler) SendCandidate(ci webrtc.ICECandidateInit) {
	s.p.sink.Load().push(TypeRTCCandidate, rtcCandidateData{CallID: s.call.id, Candidate: ci.Candidate, SDPMid: ci.SDPMid, SDPMLineIndex: ci.SDPMLineIndex})
}

func (s participantSignaler) ConnectionState(st webrtc.PeerConnectionState) {
	s.call.noteMediaState(s.p, st, time.Now())
	var state string
	switch st {
	case webrtc.PeerConnectionStateConnected:
		state = "connected"
	case webrtc.PeerConnectionStateDisconnected:
		state = "reconnecting"
	case webrtc.PeerConnectionStateFailed:
		state = "disconnected"
	default:
		return
	}
	if s.p.party == media.PartyMonitor {
		return // nobody else needs to know how a watcher's link is
	}
	for _, sess := range s.call.sessions(s.p.sink.Load()) {
		sess.push(TypePeerState, peerStateData{CallID: s.call.id, Party: s.p.party, State: state})
	}
}

// VideoPaused tells everyone in the call that video to this participant
// paused or resumed.
func (s participantSignaler) VideoPaused(paused bool) {
	if s.p.party == media.PartyMonitor {
		return
	}
	d := videoPausedData{CallID: s.call.id, Party: s.p.party, Paused: paused}
	if paused {
		d.Message = weakLinkNotice
	}
	for _, sess := range s.call.sessions() {
		sess.push(TypeVideoPaused, d)
	}
}

// BitrateLimit tells this participant's client to cap its encoders.
func (s participantSignaler) BitrateLimit(l media.SendLimit) {
	s.p.sink.Load().push(TypeBitrateLimit, newBitrateLimit(s.call.id, l))
}
