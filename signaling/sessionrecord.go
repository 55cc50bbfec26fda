package signaling

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"cloudwindow/sessionstate"
)

// Every session's resume state is kept in Deps.Sessions (Redis in a
// cluster), saved in the background whenever its socket or its call
// changes, so that a reload or a resumed socket that lands on another node
// resumes it there (see resume.go). Saving never holds up signaling: a
// burst of changes is one save, and a Redis outage only delays it.

// attachedTTL bounds how long the record of a session with an open socket
// is kept: a node killed outright leaves its sessions' records behind, and
// they expire by themselves.
const attachedTTL = 12 * time.Hour

// recordSaveTimeout bounds one save or delete.
const recordSaveTimeout = 2 * time.Second

// recordSaver collects the sessions whose records are due to be saved.
type recordSaver struct {
	mu      sync.Mutex
	pending map[*session]bool
	wake    chan struct{}
}

func newRecordSaver() *recordSaver {
	return &recordSaver{pending: map[*session]bool{}, wake: make(chan struct{}, 1)}
}

func (r *recordSaver) mark(sess *session) {
	r.mu.Lock()
	r.pending[sess] = true
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *recordSaver) take() []*session {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*session, 0, len(r.pending))
	for sess := range r.pending {
		out = append(out, sess)
	}
	clear(r.pending)
	return out
}

// track makes sess's changes save its record.
func (s *Server) track(sess *session) {
	sess.changed = func() { s.saver.mark(sess) }
	s.saver.mark(sess)
}

// saveAllRecords saves every session's record again.
func (s *Server) saveAllRecords() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		s.saver.mark(sess)
	}
}

// saveRecords saves what changed until stop is closed, then once more.
func (s *Server) saveRecords(stop <-chan struct{}) {
	for {
		select {
		case <-s.saver.wake:
			s.flushRecords()
		case <-stop:
			s.flushRecords()
			return
		}
	}
}

// flushRecords saves the pending sessions' records as they are now, and
// deletes those of sessions that ended here. A session that moved to
// another node is its business now.
//
// One deadline bounds the whole batch: while Redis is unreachable a
// shutdown must not wait for every session in turn.
func (s *Server) flushRecords() {
	ctx, cancel := context.WithTimeout(context.Background(), recordSaveTimeout)
	defer cancel()
	for _, sess := range s.saver.take() {
		if sess.movedAway.Load() {
			continue
		}
		var err error
		if s.session(sess.ident.AccountID) == sess {
			err = s.deps.Sessions.Save(ctx, s.recordOf(sess))
		} else {
			err = s.deps.Sessions.Delete(ctx, sess.ident.AccountID, sess.id)
		}
		if err != nil {
			s.log.Warn("keep session for resume", "account", sess.ident.AccountID, "err", err)
		}
	}
}

// recordOf is sess's resume state now.
func (s *Server) recordOf(sess *session) sessionstate.Record {
	r := sessionstate.Record{
		ID: sess.id, TokenHash: sessionstate.TokenHash(sess.resumeToken), AccountID: sess.ident.AccountID,
		Role: string(sess.ident.Role), Node: s.cfg.Node, ExpiresAt: time.Now().Add(attachedTTL),
	}
	sess.mu.Lock()
	detached, c, away := sess.conn == nil, sess.call, sess.away
	sess.mu.Unlock()
	if detached {
		r.ExpiresAt = time.Now().Add(s.cfg.ResumeGrace)
	}
	switch {
	case c != nil:
		started := c.startedFor(sess)
		started.Moved = false
		r.CallID, r.CallNode = c.id, s.cfg.Node
		r.Call, _ = json.Marshal(started)
	case away != nil:
		r.CallID, r.CallNode, r.Call = away.id, away.node, settled(away.started)
	}
	return r
}

// settled is call.started data without "moved": the client has made its
// new connection already, and a later resume must not make another.
func settled(started json.RawMessage) json.RawMessage {
	var d callStartedData
	if json.Unmarshal(started, &d) != nil || !d.Moved {
		return started
	}
	d.Moved = false
	b, _ := json.Marshal(d)
	return b
}
