package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"cloudwindow/auth"
	"cloudwindow/identity"
)

// Ending sessions: when an account is disabled, its password changed, or a
// login session ended (logout, log out everywhere, refresh-token reuse),
// its socket closes at once on whichever node holds it, and what the
// session held goes: its call, its watches, its place in the queue. The
// auth service says so through EndSessions; other nodes hear it on the
// bus. A periodic check of every session backs this up, for changes made
// where nobody could be told (the admin command line, a lost notification).

const sessionsEndedTopic = "signaling.sessions_ended"

// DefaultSessionCheckInterval is how often every session's account and
// login session are checked when Config does not say.
const DefaultSessionCheckInterval = 30 * time.Second

type sessionsEnded struct {
	From  string             `json:"from"`
	Ended auth.SessionsEnded `json:"ended"`
}

// EndSessions closes the sockets of ended sessions on this node and tells
// the other nodes to do the same.
func (s *Server) EndSessions(e auth.SessionsEnded) {
	s.endLocal(e)
	if s.deps.Bus == nil {
		return
	}
	b, _ := json.Marshal(sessionsEnded{From: s.cfg.Node, Ended: e})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.deps.Bus.Publish(ctx, sessionsEndedTopic, b); err != nil {
		s.log.Warn("tell other nodes that sessions ended; their periodic check will", "account", e.AccountID, "err", err)
	}
}

// onSessionsEnded serves another node's notification.
func (s *Server) onSessionsEnded(b []byte) {
	var m sessionsEnded
	if json.Unmarshal(b, &m) != nil || m.From == s.cfg.Node {
		return
	}
	s.deps.Verifier.Forget(m.Ended)
	s.endLocal(m.Ended)
}

// endLocal ends the account's session here if it is one of those ended.
func (s *Server) endLocal(e auth.SessionsEnded) {
	sess := s.session(e.AccountID)
	if sess == nil || sess.remote != nil {
		return
	}
	if e.Session != "" && sess.loginSession() != e.Session {
		return
	}
	s.endSession(sess, e.Reason)
}

// endSession closes sess's socket, telling the client why, and releases
// what it held without waiting for the resume grace.
func (s *Server) endSession(sess *session, reason string) {
	s.mu.Lock()
	if s.sessions[sess.ident.AccountID] != sess {
		s.mu.Unlock()
		return
	}
	delete(s.sessions, sess.ident.AccountID)
	s.mu.Unlock()
	if c := sess.attach(nil, ""); c != nil {
		c.sendError("", protoErr(CodeSessionEnded, "signed out: %s", reason))
		c.close()
	}
	s.log.Info("session ended", "account", sess.ident.Username, "reason", reason)
	s.release(sess)
}

// checkSession asks whether sess may go on, ending it if not; false means
// it has ended. A failure to ask (the store is down) keeps it.
func (s *Server) checkSession(sess *session) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if sess.ident.Role == identity.RoleGuest {
		// A guest has no account: their session lasts as their invitation does.
		sess.checkedAt.Store(time.Now().UnixNano())
		return true
	}
	ident := sess.ident
	ident.Session = sess.loginSession()
	err := s.deps.Verifier.ActiveSession(ctx, ident)
	switch {
	case err == nil:
		sess.checkedAt.Store(time.Now().UnixNano())
		return true
	case errors.Is(err, auth.ErrDisabled):
		s.endSession(sess, auth.EndDisabled)
	case errors.Is(err, auth.ErrInvalidToken), errors.Is(err, auth.ErrNotFound):
		s.endSession(sess, "session ended")
	default:
		s.log.Warn("check session", "account", sess.ident.Username, "err", err)
		return true
	}
	return false
}

// checkSessions checks every local session each interval until stop closes.
func (s *Server) checkSessions(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			for _, sess := range s.localSessions() {
				s.checkSession(sess)
			}
		}
	}
}

func (s *Server) localSessions() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		if sess.remote == nil {
			out = append(out, sess)
		}
	}
	return out
}
