package signaling

import (
	"context"
	"time"

	"cloudwindow/identity"
)

// A supervisor watches a running call (监看): they join it as a participant
// with the right to see and hear everyone and to send nothing, so that
// nothing of theirs reaches the call. The server makes the offer.

var overseers = []identity.Role{identity.RoleSupervisor, identity.RoleAdmin}

func (s *Server) handleMonitorStart(ctx context.Context, sess *session, m Message) error {
	var d callRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c := s.liveCall(d.CallID)
	if c == nil {
		return s.watchAway(ctx, sess, m, d.CallID)
	}
	started, err := c.watch(sess)
	if err != nil {
		return err
	}
	s.recordParticipant(ctx, c, sess, roleSupervisor)
	sess.reply(m.ID, TypeMonitorStarted, started)
	s.announceParticipants(c)
	return nil
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
	case c == nil:
		return protoErr(CodeNotFound, "you are not watching call %s", d.CallID)
	default:
		r, ok := c.roleOf(sess)
		if !ok || r != roleSupervisor {
			return protoErr(CodeNotFound, "you are not watching call %s", d.CallID)
		}
		s.leaveCall(c, sess, "monitor_stop")
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

// stopWatching takes a supervisor whose session ended out of every call.
func (s *Server) stopWatching(sess *session) {
	s.mu.Lock()
	live := make([]*call, 0, len(s.callsByID))
	for _, c := range s.callsByID {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		s.leaveCall(c, sess, "disconnected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, id := range sess.watchedAway() {
		s.stopWatchAway(ctx, sess, id)
	}
}
