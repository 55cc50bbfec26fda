package signaling

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"cloudwindow/identity"
	"cloudwindow/queue"
	"cloudwindow/sessionstate"
	"cloudwindow/stationlink"
)

// authenticate reads the first message, which must be a valid auth, and
// attaches c to the account's session (taking over an earlier socket).
func (s *Server) authenticate(ctx context.Context, c *conn) *session {
	c.ws.SetReadDeadline(time.Now().Add(s.cfg.AuthTimeout))
	m, err := c.read()
	if err != nil {
		return nil
	}
	var d authData
	if m.Type != TypeAuth {
		c.sendError(m.ID, protoErr(CodeUnauthenticated, "the first message must be auth"))
		return nil
	}
	if err := decodeData(m.Data, &d); err != nil {
		c.sendError(m.ID, asProtocolError(err))
		return nil
	}
	ident, err := s.identify(ctx, d)
	if err != nil {
		c.sendError(m.ID, asProtocolError(err))
		return nil
	}
	stored, err := s.storedSession(ctx, ident, d)
	if err != nil {
		c.sendError(m.ID, asProtocolError(err))
		return nil
	}
	sess, resumed, old, err := s.attachSession(ident, d, c, stored)
	if err != nil {
		c.sendError(m.ID, asProtocolError(err))
		return nil
	}
	if old != nil {
		old.send(Message{Type: TypeSessionReplaced, Data: []byte("{}")})
		old.close()
	}
	if !resumed && ident.Role == identity.RoleAgent {
		s.agentOnline(ctx, ident)
	}
	qctx := ctx
	if stored != nil && stored.CallID != "" {
		// Bringing the call back comes first: the queue may be changing
		// leader (its node may be the one that died) and answer late.
		var cancel context.CancelFunc
		qctx, cancel = context.WithTimeout(ctx, queueLookupTimeout)
		defer cancel()
	}
	if stored != nil {
		s.adopt(qctx, sess, *stored)
	}
	w := s.welcome(qctx, sess, resumed)
	if stored != nil && w.Call == nil {
		w.Call = stored.Call // an agent's call, re-established below
	}
	sess.reply(m.ID, TypeWelcome, w)
	if stored != nil && stored.CallID != "" && ident.Role == identity.RoleAgent {
		s.takeOverCall(ctx, sess, *stored)
	}
	s.repeatRecordingStatus(sess)
	if away := sess.awayCall(); resumed && away != nil {
		s.resumeAway(ctx, sess, away)
	}
	if c := sess.currentCall(); resumed && c != nil {
		// A server offer sent while the socket was down is lost; send it again.
		if peer := c.peerOf(sess); peer != nil {
			peer.ResendOffer()
		}
		s.repeatCallState(sess, c)
		s.repeatGuestStatus(sess, c)
	}
	if ident.Role == identity.RoleGuest {
		s.guestArrived(ctx, sess, resumed)
	} else if ident.Role != identity.RoleStation {
		if !s.stats.known() {
			// A node that joined a cluster after the queue last changed
			// has heard no figures yet: ask the queue for them.
			s.stats.update(s.queue.Stats(qctx))
		}
		s.stats.sendTo(sess)
	}
	return sess
}

// identify checks an auth's token, or a guest's invitation.
func (s *Server) identify(ctx context.Context, d authData) (identity.Identity, error) {
	if d.Invitation != "" {
		return s.guestIdentity(ctx, d)
	}
	ident, err := s.deps.Verifier.Verify(ctx, d.Token)
	if err != nil {
		return identity.Identity{}, protoErr(CodeInvalidToken, "%v", err)
	}
	return ident, nil
}

// attachSession attaches c to the account's session on this node, making
// one if needed, and returns the socket it took over. An account has one
// session: a new socket (another tab, a reload) takes the earlier one over.
// It runs under s.mu so that expire cannot remove a session being resumed.
//
// stored, if not nil, is the record of the session being resumed, which
// another node held.
func (s *Server) attachSession(ident identity.Identity, d authData, c *conn, stored *sessionstate.Record) (sess *session, resumed bool, old *conn, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, false, nil, protoErr(CodeInvalidState, "the server is shutting down")
	}
	sess, resumed = s.sessions[ident.AccountID]
	switch {
	case !resumed:
		sess = &session{id: newSecret("s-"), resumeToken: newSecret("r-"), ident: ident}
		if stored != nil {
			sess.id, sess.resumeToken, resumed = stored.ID, d.ResumeToken, true // checked by storedSession
		}
		sess.checkedAt.Store(time.Now().UnixNano())
		s.sessions[ident.AccountID] = sess
		s.track(sess)
		s.metrics.sessions.WithLabelValues(string(ident.Role)).Inc()
	case d.Resume == sess.id && subtle.ConstantTimeCompare([]byte(d.ResumeToken), []byte(sess.resumeToken)) != 1:
		return nil, false, nil, protoErr(CodeInvalidToken, "resume token does not match")
	}
	return sess, resumed, sess.attach(c, ident.Session), nil
}

func (s *Server) welcome(ctx context.Context, sess *session, resumed bool) welcomeData {
	w := welcomeData{
		SessionID: sess.id, ResumeToken: sess.resumeToken, Resumed: resumed,
		Identity: sess.ident, ICEServers: s.iceServersFor(sess.ident.AccountID),
		Preconnect: s.cfg.PreconnectMedia,
		Standby:    sess.standingPeer() != nil,
	}
	switch sess.ident.Role {
	case identity.RoleAgent:
		st, _ := s.queue.AgentState(ctx, sess.ident.AccountID)
		w.AgentState = string(st)
		sess.mu.Lock()
		w.AgentReason = sess.agentReason
		sess.mu.Unlock()
	case identity.RoleStation:
		if req, pos, ok := s.queue.Waiting(ctx, sess.ident.AccountID); ok {
			w.Waiting = &positionData{RequestID: req.ID, Position: pos.Position, EstimatedWaitS: seconds(pos.EstimatedWait)}
		}
		w.LinkProfile = s.linkSettings(ctx, sess.ident.AccountID)
		sess.linkMarked.Store(w.LinkProfile != nil && w.LinkProfile.Profile == stationlink.LowBandwidth)
	}
	if c := sess.currentCall(); c != nil {
		w.Call, _ = json.Marshal(c.startedFor(sess))
	}
	if away := sess.awayCall(); away != nil {
		w.Call = away.started
	}
	return w
}

// expire ends what a session left behind when its client did not come back
// within the grace period.
func (s *Server) expire(sess *session) {
	s.mu.Lock()
	if !sess.stillDetached() || s.sessions[sess.ident.AccountID] != sess {
		s.mu.Unlock()
		return
	}
	delete(s.sessions, sess.ident.AccountID)
	s.mu.Unlock()
	s.release(sess)
}

// release ends what a session that is gone held: its call, its watches,
// its waiting request, its agent's place in the queue.
func (s *Server) release(sess *session) {
	s.metrics.sessions.WithLabelValues(string(sess.ident.Role)).Dec()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if c := sess.currentCall(); c != nil {
		s.leaveCall(c, sess, "disconnected")
	}
	if away := sess.awayCall(); away != nil {
		s.forwardToCall(ctx, sess, away, "expired", Message{})
	}
	if hasRole(sess.ident.Role, overseers) {
		s.stopWatching(sess)
	}
	if sess.ident.Role == identity.RoleStation {
		s.releaseTickets(ctx, sess.ident.AccountID)
	}
	if sess.ident.Role == identity.RoleGuest {
		s.guestGone(sess)
	}
	s.closeStanding(sess)
	if id := sess.waitingRequest(); id != "" {
		if err := s.queue.Cancel(ctx, sess.ident.AccountID, id); errors.Is(err, queue.ErrUnavailable) {
			s.left.cancelLater(sess.ident.AccountID, id)
		}
	}
	if sess.ident.Role == identity.RoleAgent {
		if err := s.queue.AgentOffline(ctx, sess.ident.AccountID); err != nil {
			s.log.Warn("agent offline", "agent", sess.ident.Username, "err", err)
			if errors.Is(err, queue.ErrUnavailable) {
				s.left.offlineLater(sess.ident.AccountID)
			}
		}
	}
}

func (s *Server) agentOnline(ctx context.Context, ident identity.Identity) {
	a := queue.Agent{ID: ident.AccountID, Name: ident.DisplayName, Skills: ident.Skills, Generalist: ident.Generalist}
	if err := s.queue.AgentOnline(ctx, a); err != nil {
		s.log.Error("agent online", "agent", ident.Username, "err", err)
	}
}

func seconds(d time.Duration) int { return int(d.Round(time.Second) / time.Second) }
