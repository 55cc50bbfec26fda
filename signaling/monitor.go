package signaling

import (
	"context"
	"time"

	"github.com/pion/webrtc/v4"

	"cloudwindow/identity"
	"cloudwindow/media"
)

// A supervisor watches a running call (监看): their PeerConnection joins the
// call's room as a pure subscriber, so they see and hear both parties while
// nothing of theirs reaches the call. The server makes the offer.

var overseers = []identity.Role{identity.RoleSupervisor, identity.RoleAdmin}

// monitorSignaler carries the room's negotiation to a watching supervisor.
type monitorSignaler struct {
	call *call
	sess *session
}

func (m monitorSignaler) SendOffer(sdp string) {
	m.sess.push(TypeRTCOffer, rtcAnswerData{CallID: m.call.id, SDP: sdp})
}

func (m monitorSignaler) SendCandidate(ci webrtc.ICECandidateInit) {
	m.sess.push(TypeRTCCandidate, rtcCandidateData{CallID: m.call.id, Candidate: ci.Candidate, SDPMid: ci.SDPMid, SDPMLineIndex: ci.SDPMLineIndex})
}

func (m monitorSignaler) ConnectionState(webrtc.PeerConnectionState) {}

func (s *Server) handleMonitorStart(ctx context.Context, sess *session, m Message) error {
	var d callRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c := s.liveCall(d.CallID)
	if c == nil {
		return s.watchAway(ctx, sess, m, d.CallID)
	}
	started, err := c.startMonitor(sess)
	if err != nil {
		return err
	}
	sess.reply(m.ID, TypeMonitorStarted, started)
	return nil
}

// startMonitor joins sess to the call's room as a watcher.
func (c *call) startMonitor(sess *session) (callStartedData, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return callStartedData{}, protoErr(CodeNotFound, "call %s has ended", c.id)
	}
	if c.monitors[sess] != nil {
		return callStartedData{}, protoErr(CodeInvalidState, "you are already watching call %s", c.id)
	}
	peer, err := c.room.Join(newSecret("monitor-"), media.PartyMonitor, monitorSignaler{call: c, sess: sess})
	if err != nil {
		return callStartedData{}, err
	}
	c.monitors[sess] = peer
	return c.startedData(partyMonitor), nil
}

func (s *Server) handleMonitorStop(ctx context.Context, sess *session, m Message) error {
	var d callRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c := s.liveCall(d.CallID)
	switch {
	case c == nil && sess.watchNode(d.CallID) != "":
		s.stopWatchAway(ctx, sess, d.CallID)
	case c == nil || !c.stopMonitor(sess):
		return protoErr(CodeNotFound, "you are not watching call %s", d.CallID)
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

// stopMonitor drops sess's watching peer; false if it had none.
func (c *call) stopMonitor(sess *session) bool {
	c.mu.Lock()
	peer := c.monitors[sess]
	delete(c.monitors, sess)
	c.mu.Unlock()
	if peer == nil {
		return false
	}
	c.room.Leave(peer.ID())
	return true
}

// stopWatching ends every watch of a supervisor whose session expired.
func (s *Server) stopWatching(sess *session) {
	s.mu.Lock()
	live := make([]*call, 0, len(s.callsByID))
	for _, c := range s.callsByID {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		c.stopMonitor(sess)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range sess.watchedAway() {
		s.stopWatchAway(ctx, sess, id)
	}
}

// monitorPeer finds the peer through which sess watches call id.
func (s *Server) monitorPeer(sess *session, callID string) (*media.Peer, error) {
	if c := s.liveCall(callID); c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if peer := c.monitors[sess]; peer != nil {
			return peer, nil
		}
	}
	return nil, protoErr(CodeInvalidState, "you are not watching call %s", callID)
}

// watchers returns the sessions watching c, to tell them it ended.
func (c *call) watchers() []*session {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*session, 0, len(c.monitors))
	for sess := range c.monitors {
		out = append(out, sess)
	}
	return out
}
