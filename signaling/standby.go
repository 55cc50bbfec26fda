package signaling

import (
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"cloudwindow/identity"
	"cloudwindow/media"
)

// standbyCallID is the call_id of the rtc.* messages of a standing media
// connection: a ready agent's between calls, a queued station's while it
// waits. The connection is made ahead of the call so that on accept the
// node only has to start forwarding; until then it forwards and records
// nothing of it.
const standbyCallID = "standby"

// standing is a session's standing media connection.
type standing struct {
	peer *media.Peer
	sig  *standbySignaler
}

// closed tells whether the connection has ended (a call that adopted it
// ended, the client went away).
func (st *standing) closed() bool {
	select {
	case <-st.peer.Done():
		return true
	default:
		return false
	}
}

// standingPeer is sess's open standing connection, nil if none.
func (s *session) standingPeer() *standing {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.standby == nil || s.standby.closed() {
		return nil
	}
	return s.standby
}

// replaceStanding makes st sess's standing connection and returns the one
// it replaces, if any.
func (s *session) replaceStanding(st *standing) *standing {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.standby
	s.standby = st
	return old
}

// closeStanding ends sess's standing connection unless a call uses it: a
// station that leaves the queue or a session that is gone. It reports
// whether it closed one.
func (s *Server) closeStanding(sess *session) bool {
	st := sess.standingPeer()
	if st == nil || st.sig.adopted.Load() != nil {
		return false
	}
	sess.replaceStanding(nil)
	st.peer.Close()
	return true
}

// Reasons given in standby.closed.
const (
	standbyRequestGone = "request_gone" // the station's request left the queue
	standbyNotReady    = "not_ready"    // the agent went not ready or offline
	standbyNotAdopted  = "not_adopted"  // a call started on another connection
)

// dropStanding closes sess's standing connection, which has lost its
// reason to be, and tells the client so that it closes its end too: a
// kiosk's camera connection must not outlive the request it was made for.
func (s *Server) dropStanding(sess *session, reason string) {
	if s.closeStanding(sess) {
		sess.push(TypeStandbyClosed, standbyClosedData{Reason: reason})
	}
}

// requestGone forgets the station's waiting request requestID when it has
// left the queue other than by the station's own call.cancel, and closes
// the standing connection made for it.
func (s *Server) requestGone(station *session, requestID string) {
	if id := station.waitingRequest(); id == "" || id == requestID {
		station.setWaitingRequest("")
		s.dropStanding(station, standbyRequestGone)
	}
}

// standingFor is the standing connection sess negotiates over; an offer
// marked fresh (a new PeerConnection) replaces it.
func (s *Server) standingFor(sess *session, fresh bool) (*standing, error) {
	if !s.cfg.PreconnectMedia {
		return nil, protoErr(CodeInvalidState, "this node connects media per call")
	}
	if r := sess.ident.Role; r != identity.RoleStation && r != identity.RoleAgent {
		return nil, protoErr(CodeForbidden, "only stations and agents keep a standing media connection")
	}
	st := sess.standingPeer()
	if !fresh {
		if st == nil {
			return nil, protoErr(CodeInvalidState, "send an rtc.offer first")
		}
		return st, nil
	}
	if sess.currentCall() != nil || sess.awayCall() != nil {
		return nil, protoErr(CodeInvalidState, "you are in a call: negotiate with its call_id")
	}
	party := string(partyAgent)
	if sess.ident.Role == identity.RoleStation {
		party = string(partyStation)
	}
	sig := &standbySignaler{sess: sess}
	peer, err := s.deps.SFU.Standby(newSecret(party+"-"), party, sig)
	if err != nil {
		return nil, err
	}
	if sess.thinLink() {
		peer.ExpectThinDownlink()
	}
	st = &standing{peer: peer, sig: sig}
	if old := sess.replaceStanding(st); old != nil {
		old.peer.Close()
	}
	if party == string(partyStation) && sess.waitingRequest() == "" {
		s.expectRequest(sess, st)
	}
	return st, nil
}

// expectRequest closes a station's standing connection made before it
// queued unless a request follows in time. A kiosk connects while it
// checks its link, so that ICE and DTLS across a slow link are done by the
// time an agent accepts; a connection whose request never came must not
// linger.
func (s *Server) expectRequest(sess *session, st *standing) {
	wait := s.cfg.StandbyBeforeQueue
	if wait <= 0 {
		wait = DefaultStandbyBeforeQueue
	}
	time.AfterFunc(wait, func() {
		if sess.waitingRequest() == "" && sess.standingPeer() == st && st.sig.adopted.Load() == nil {
			s.dropStanding(sess, standbyRequestGone)
		}
	})
}

func (s *Server) handleStandbyOffer(sess *session, d rtcOfferData, m Message) error {
	st, err := s.standingFor(sess, d.Fresh)
	if err != nil {
		return err
	}
	sources := make(map[string]media.Source, len(d.Sources))
	for id, src := range d.Sources {
		sources[id] = media.Source(src)
	}
	err = st.peer.AnswerOffer(d.SDP, sources, func(answer string) {
		sess.reply(m.ID, TypeRTCAnswer, rtcAnswerData{CallID: standbyCallID, SDP: answer})
	})
	if err != nil {
		return protoErr(CodeBadSDP, "offer refused: %v", err)
	}
	if d.Fresh {
		// A call may already ring for it.
		if sess.ident.Role == identity.RoleStation {
			s.ringingFor(sess)
		} else {
			s.prepareRing(sess)
		}
	}
	return nil
}

// adoptStanding moves the standing connections of the call's station and
// agent into its room: forwarding starts at once on connections that are
// already up. A party without one connects per call as before.
func (s *Server) adoptStanding(c *call) {
	room, ok := c.room.(mediaRoom)
	if !ok {
		return
	}
	for _, sess := range c.sessions() {
		sess.mu.Lock()
		sess.ringing = "" // the call rang and came about
		sess.mu.Unlock()
		st := sess.standingPeer()
		if st == nil {
			continue
		}
		sig, err := c.adopt(sess, st.peer, room)
		if err != nil {
			s.log.Warn("adopt standing media", "call", c.id, "err", err)
			continue
		}
		st.sig.adopted.Store(&sig)
	}
	for _, sess := range c.sessions() {
		s.dropStanding(sess, standbyNotAdopted) // adoption failed
	}
}

// adopt makes peer sess's media in the call.
func (c *call) adopt(sess *session, peer *media.Peer, room mediaRoom) (participantSignaler, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.find(sess)
	if c.ended || p == nil || p.peer != nil {
		return participantSignaler{}, protoErr(CodeInvalidState, "not adoptable in call %s", c.id)
	}
	p.peerID, p.standby = peer.ID(), true
	p.sink.Store(sess)
	c.applyRouting()
	if err := room.Adopt(peer); err != nil {
		p.peerID, p.standby = "", false
		return participantSignaler{}, err
	}
	p.peer = peer
	return participantSignaler{call: c, p: p}, nil
}

// standbySignaler carries a standing connection's negotiation, under the
// call_id "standby" for as long as it lives; once a call adopts it, what the
// call needs to know of its link goes to the call.
type standbySignaler struct {
	sess    *session
	adopted atomic.Pointer[participantSignaler]
}

var _ media.LinkNotifier = (*standbySignaler)(nil)

func (s *standbySignaler) SendOffer(sdp string) {
	s.sess.push(TypeRTCOffer, rtcAnswerData{CallID: standbyCallID, SDP: sdp})
}

func (s *standbySignaler) SendCandidate(ci webrtc.ICECandidateInit) {
	s.sess.push(TypeRTCCandidate, rtcCandidateData{CallID: standbyCallID, Candidate: ci.Candidate, SDPMid: ci.SDPMid, SDPMLineIndex: ci.SDPMLineIndex})
}

func (s *standbySignaler) ConnectionState(st webrtc.PeerConnectionState) {
	if a := s.adopted.Load(); a != nil {
		a.ConnectionState(st)
	}
}

func (s *standbySignaler) VideoPaused(paused bool) {
	if a := s.adopted.Load(); a != nil {
		a.VideoPaused(paused)
	}
}

// BitrateLimit goes to the standing connection under the call_id the client
// knows it by: the cap is for the connection's encoders, not the call's screen.
func (s *standbySignaler) BitrateLimit(l media.SendLimit) {
	if s.adopted.Load() != nil {
		s.sess.push(TypeBitrateLimit, newBitrateLimit(standbyCallID, l))
	}
}
