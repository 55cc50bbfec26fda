package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/queue"
)

// startCall sets up the room of an accepted request and tells the station.
func (s *Server) startCall(ctx context.Context, agent, station *session, req queue.Request, item catalog.Item) (*call, error) {
	unrecorded, err := s.checkRecording()
	if err != nil {
		return nil, err
	}
	room, err := s.deps.SFU.NewRoom(req.ID)
	if err != nil {
		return nil, err
	}
	c := newCall(req, item, mediaRoom{room}, station, agent, unrecorded)
	c.mediaLost, c.events = map[string]time.Time{}, s.events
	rec := calls.Call{
		ID: c.id, StationID: req.StationID, StationName: req.StationName, Island: req.Island,
		AgentID: agent.ident.AccountID, AgentName: agent.ident.DisplayName, ItemID: item.ID,
		ItemName: item.NameZh, Category: item.Category, Green: req.Green,
		RequestedAt: req.EnqueuedAt, AcceptedAt: c.started, Node: s.cfg.Node,
	}
	// The call's record and its case are written together, and batched with
	// the other calls starting at the same time.
	cs, err := s.deps.Cases.StartCall(ctx, rec)
	if err != nil {
		room.Close()
		return nil, err
	}
	c.caseID, c.caseNo = cs.ID, cs.Number
	if s.deps.Recorder != nil {
		room.AddSink(s.deps.Recorder.SinkFactory(rec))
	}
	s.mu.Lock()
	s.callsByID[c.id] = c
	s.mu.Unlock()
	s.metrics.callsActive.Inc()
	station.setWaitingRequest("")
	s.ticketStarted(req)
	station.setCall(c)
	agent.setCall(c)
	s.events.add(c.id, calls.Event{At: c.started, Type: "accepted", Actor: agent.ident.DisplayName})
	s.adoptStanding(c)
	station.push(TypeCallStarted, c.startedFor(station))
	if err := s.helperJoins(ctx, c, station); err != nil {
		s.log.Warn("add the kiosk's helper to the call", "call", c.id, "err", err)
	}
	s.watchLink(c)
	return c, nil
}

// endCall ends c once, for everyone in it, whoever asks first.
func (s *Server) endCall(c *call, reason, by string) {
	members, ok := c.finish()
	if !ok {
		return
	}
	handler, consulted := c.handler(), c.withRole(roleConsulted)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.cancelTransfer(ctx, c)
	c.room.Close()
	s.mu.Lock()
	delete(s.callsByID, c.id)
	s.mu.Unlock()
	s.metrics.callsActive.Dec()
	s.metrics.callsEnded.WithLabelValues(reason).Inc()
	for _, sess := range members {
		sess.setCallIf(c, nil)
	}
	now := time.Now()
	if err := s.deps.Calls.End(ctx, c.id, now, reason); err != nil {
		s.log.Error("record call end", "call", c.id, "err", err)
	}
	s.events.add(c.id, calls.Event{At: now, Type: "hangup", Actor: by, Detail: reason})
	ended := callEndedData{CallID: c.id, Reason: reason, By: by, DurationS: seconds(now.Sub(c.started))}
	for _, sess := range members {
		sess.push(TypeCallEnded, ended)
	}
	if handler != nil && handler.ident.Role == identity.RoleAgent {
		s.agentDone(ctx, handler, c.id, now.Sub(c.started))
	}
	for _, agent := range consulted {
		s.consultDone(ctx, agent, now.Sub(c.started))
	}
	s.callEndedForGuests(c)
}

// agentDone gives an agent who leaves a call to the queue's wrap-up.
func (s *Server) agentDone(ctx context.Context, agent *session, callID string, talked time.Duration) {
	agent.mu.Lock()
	agent.lastCallID = callID
	agent.mu.Unlock()
	if agent.remote != nil {
		// The wrap-up is sent to the agent's own node.
		s.publish(delivery{Account: agent.ident.AccountID, From: s.cfg.Node, WrapUp: callID})
	}
	if err := s.queue.CallEnded(ctx, agent.ident.AccountID, talked); err != nil {
		s.log.Warn("queue call ended", "call", callID, "err", err)
	}
}

// consultDone gives a consulted agent back to the queue: the case is the
// handling agent's to wrap up, so theirs has no wrap-up.
func (s *Server) consultDone(ctx context.Context, agent *session, talked time.Duration) {
	if err := s.queue.CallEnded(ctx, agent.ident.AccountID, talked); err != nil {
		s.log.Warn("queue consultation ended", "agent", agent.ident.Username, "err", err)
	}
	if err := s.queue.FinishWrapUp(ctx, agent.ident.AccountID); err != nil {
		s.log.Warn("queue consultation wrap-up", "agent", agent.ident.Username, "err", err)
	}
}

// leaveCall takes sess out of c. The resident or the handling agent
// leaving ends the call; anyone else just leaves it.
func (s *Server) leaveCall(c *call, sess *session, reason string) {
	r, ok := c.roleOf(sess)
	if !ok {
		return
	}
	if r == roleResident || r == roleAgent {
		by := string(partyAgent)
		if r == roleResident {
			by = string(partyStation)
		}
		s.endCall(c, reason, by)
		return
	}
	if c.leave(sess) {
		sess.setCallIf(c, nil)
		if r == roleConsulted {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			s.consultDone(ctx, sess, time.Since(c.started))
		}
		s.events.add(c.id, calls.Event{At: time.Now(), Type: "left", Actor: sess.ident.DisplayName, Detail: string(r)})
		s.announceParticipants(c)
	}
}

func (s *Server) handleHangup(_ context.Context, sess *session, m Message) error {
	var d callRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if hasRole(sess.ident.Role, overseers) {
		// A supervisor leaves with monitor.stop; only one who took the
		// call over hangs it up.
		c := s.liveCall(d.CallID)
		if r, _ := roleIn(c, sess); r != roleAgent {
			return protoErr(CodeForbidden, "call.hangup is only for the agent handling the call")
		}
	}
	c, err := s.callOf(sess, d.CallID)
	if err != nil {
		return err
	}
	sess.reply(m.ID, TypeOK, empty{})
	s.leaveCall(c, sess, "hangup")
	return nil
}

func (s *Server) handleChat(_ context.Context, sess *session, m Message) error {
	var d chatSendData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	now := time.Now()
	from := c.startedFor(sess).Party
	msg := chatMessageData{CallID: c.id, From: from, Name: sess.ident.DisplayName, Text: d.Text, At: now.UTC().Format(time.RFC3339)}
	sess.reply(m.ID, TypeOK, empty{})
	for _, to := range c.sessions() {
		if r, _ := c.roleOf(to); r != roleSupervisor {
			to.push(TypeChatMessage, msg)
		}
	}
	s.events.add(c.id, calls.Event{At: now, Type: "chat", Actor: from, Detail: d.Text})
	return nil
}

// roleIn is sess's role in c, which may be nil.
func roleIn(c *call, sess *session) (role, bool) {
	if c == nil {
		return "", false
	}
	return c.roleOf(sess)
}
