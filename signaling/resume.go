package signaling

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"cloudwindow/identity"
	"cloudwindow/sessionstate"
)

// A resume that lands on a node without the session (a reload or a
// reconnect that the load balancer sent elsewhere, or the session's node
// died) finds the session's record in Deps.Sessions and takes it over: the
// same session id and token, its waiting place, its call. The node that
// held it is told to forget it without ending anything (sessionMovedTopic).

const sessionMovedTopic = "signaling.session.moved"

// sessionMoved says that session Session of Account now lives on Node.
type sessionMoved struct {
	Account string `json:"account"`
	Session string `json:"session"`
	Node    string `json:"node"`
}

// queueLookupTimeout bounds what the queue is asked while a session with a
// call resumes on another node.
const queueLookupTimeout = 2 * time.Second

// forwardTimeout bounds a message to the node holding a call: a node just
// killed still looks alive for a few seconds, and nobody answers there.
const forwardTimeout = 3 * time.Second

// storedSession returns the record of the session d resumes when this node
// does not hold it; nil when a new session starts.
func (s *Server) storedSession(ctx context.Context, ident identity.Identity, d authData) (*sessionstate.Record, error) {
	if d.Resume == "" || s.session(ident.AccountID) != nil {
		return nil, nil
	}
	lctx, cancel := context.WithTimeout(ctx, recordSaveTimeout)
	defer cancel()
	rec, err := s.deps.Sessions.Load(lctx, ident.AccountID)
	// A session last held here ended here (or in this node's last run):
	// what it held is gone.
	if errors.Is(err, sessionstate.ErrNotFound) || (err == nil && (rec.ID != d.Resume || rec.Node == s.cfg.Node)) {
		return nil, nil
	}
	if err != nil {
		// Without the record the client starts afresh, as after an expiry.
		s.log.Warn("load session to resume", "account", ident.AccountID, "err", err)
		return nil, nil
	}
	if subtle.ConstantTimeCompare([]byte(sessionstate.TokenHash(d.ResumeToken)), []byte(rec.TokenHash)) != 1 {
		return nil, protoErr(CodeInvalidToken, "resume token does not match")
	}
	return &rec, nil
}

// adopt takes over a session resumed from its record: the node that held
// it forgets it, and it gets back its waiting place and its call. An
// agent's call, whose room was on the node they left, is re-established
// here afterwards (takeOverCall).
func (s *Server) adopt(ctx context.Context, sess *session, rec sessionstate.Record) {
	if s.deps.Bus != nil {
		b, _ := json.Marshal(sessionMoved{Account: rec.AccountID, Session: rec.ID, Node: s.cfg.Node})
		if err := s.deps.Bus.Publish(ctx, sessionMovedTopic, b); err != nil {
			s.log.Warn("tell the session's last node it moved", "account", rec.AccountID, "err", err)
		}
	}
	if sess.ident.Role == identity.RoleStation && rec.CallID == "" {
		if req, _, ok := s.queue.Waiting(ctx, sess.ident.AccountID); ok {
			sess.setWaiting(req)
		}
	}
	if rec.CallID == "" {
		return
	}
	if c := s.liveCall(rec.CallID); c != nil && c.rebind(sess.ident.AccountID, sess) {
		sess.setCall(c)
		return
	}
	if sess.ident.Role == identity.RoleStation {
		sess.setAway(&awayCall{id: rec.CallID, node: rec.CallNode, started: rec.Call})
	}
}

// onSessionMoved forgets a session that another node resumed, without
// ending what it holds: a station's call here now reaches it over the bus.
func (s *Server) onSessionMoved(b []byte) {
	var d sessionMoved
	if json.Unmarshal(b, &d) != nil || d.Node == s.cfg.Node {
		return
	}
	s.mu.Lock()
	sess := s.sessions[d.Account]
	if sess == nil || sess.id != d.Session {
		s.mu.Unlock()
		return
	}
	delete(s.sessions, d.Account)
	s.mu.Unlock()
	sess.movedAway.Store(true)
	s.closeStanding(sess) // the client connects anew to the node it moved to
	s.metrics.sessions.WithLabelValues(string(sess.ident.Role)).Dec()
	if old := sess.attach(nil, ""); old != nil {
		old.send(Message{Type: TypeSessionReplaced, Data: []byte("{}")})
		old.close()
	}
	c := sess.currentCall()
	if r, _ := roleIn(c, sess); r == roleResident {
		remote := s.remoteSession(sess.ident)
		if c.rebind(sess.ident.AccountID, remote) {
			remote.setCall(c)
		}
	}
	s.log.Info("session resumed on another node", "account", d.Account, "node", d.Node)
}

// resumeAway tells the node holding a station's call that the station is
// back, if that node runs.
func (s *Server) resumeAway(ctx context.Context, sess *session, away *awayCall) {
	ctx, cancel := context.WithTimeout(ctx, forwardTimeout)
	defer cancel()
	if alive, _ := s.deps.Nodes.Alive(ctx, away.node); alive {
		s.forwardToCall(ctx, sess, away, "resumed", Message{})
	}
}

// Liveness tells which nodes of the cluster run (liveness.Heartbeat). An
// error means it could not tell; the node is then taken as running.
type Liveness interface {
	Alive(ctx context.Context, node string) (bool, error)
}

// allAlive is the Liveness of a node running alone.
type allAlive struct{}

func (allAlive) Alive(context.Context, string) (bool, error) { return true, nil }
