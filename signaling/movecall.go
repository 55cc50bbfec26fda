package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloudwindow/bus"
	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/catalog"
	"cloudwindow/queue"
	"cloudwindow/sessionstate"
)

// A call's room lives on its agent's node. When the agent's session
// resumes on another node (a reload the load balancer sent elsewhere, or
// the node died), the call is re-established there: the same call, the
// same case, a new room. The old node, if it runs, hands the call over
// (closes its room without ending the call); a dead one is waited out.
// Both parties get call.started again with "moved" set, and make a new
// PeerConnection; the recording goes on in a new part, and the call's
// timeline marks the gap ("moved").

// deadWait bounds how long a take-over waits for a node that does not
// answer to be known dead (more than the liveness key's expiry).
const deadWait = 5 * time.Second

// takeOverCall re-establishes here the call of an agent whose session was
// resumed from its record.
func (s *Server) takeOverCall(ctx context.Context, agent *session, rec sessionstate.Record) {
	if agent.currentCall() != nil {
		return
	}
	if rec.CallNode != s.cfg.Node {
		if err := s.handOver(ctx, rec.CallID, rec.CallNode, agent.ident.AccountID); err != nil {
			s.log.Warn("take a call over", "call", rec.CallID, "from", rec.CallNode, "err", err)
			// One in the call who does not handle it (a consulted agent
			// who joined from another node) follows it from here.
			agent.setAway(&awayCall{id: rec.CallID, node: rec.CallNode, started: rec.Call})
			s.resumeAway(ctx, agent, agent.awayCall())
			return
		}
	}
	if _, err := s.rebuildCall(ctx, agent, rec.CallID, rec.CallNode); err != nil {
		s.log.Warn("re-establish call", "call", rec.CallID, "from", rec.CallNode, "err", err)
		agent.push(TypeCallEnded, callEndedData{CallID: rec.CallID, Reason: calls.EndReasonNodeLost, By: "server"})
	}
}

// handOver asks node to give up its room of call id. A node just killed
// still looks alive until its heartbeat expires, and nobody answers there:
// it returns nil as soon as node has given the call up or is known dead, so
// that two rooms never run; an error if node refused, or neither happened
// within deadWait.
func (s *Server) handOver(ctx context.Context, id, node, agentID string) error {
	if s.deps.Bus == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, deadWait)
	answer, done := make(chan error, 1), make(chan struct{})
	defer func() { cancel(); <-done }()
	go func() {
		defer close(done)
		b, _ := json.Marshal(forward{Account: agentID, CallID: id, Op: "handover"})
		if _, err := s.deps.Bus.Request(ctx, nodeTopic(node), b); err == nil || errors.Is(err, bus.ErrHandlerFailed) {
			answer <- err
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-answer:
			return err
		case <-ctx.Done():
			return fmt.Errorf("%s neither gave call %s up nor died: %w", node, id, ctx.Err())
		case <-tick.C:
			if alive, err := s.deps.Nodes.Alive(ctx, node); err == nil && !alive {
				return nil
			}
		}
	}
}

// giveUpCall closes this node's room of a call that its agent's new node
// takes over, without ending the call.
func (s *Server) giveUpCall(id, agentID string) error {
	c := s.liveCall(id)
	if c == nil {
		return nil
	}
	if h := c.handler(); h == nil || h.ident.AccountID != agentID {
		return fmt.Errorf("call %s is not handled by %s", id, agentID)
	}
	members, ok := c.finish()
	if !ok {
		return nil
	}
	c.room.Close()
	s.mu.Lock()
	delete(s.callsByID, c.id)
	s.mu.Unlock()
	s.metrics.callsActive.Dec()
	for _, sess := range members {
		sess.setCallIf(c, nil)
	}
	return nil
}

// rebuildCall re-establishes call id, whose room was on node from, here,
// with agent handling it.
func (s *Server) rebuildCall(ctx context.Context, agent *session, id, from string) (*call, error) {
	rec, item, cs, err := s.takeRecord(ctx, agent, id, from)
	if err != nil {
		return nil, err
	}
	room, err := s.deps.SFU.NewRoom(id)
	if err != nil {
		// The record is this node's now: close it, or it would stay live.
		if endErr := s.deps.Calls.End(ctx, id, time.Now(), "failed"); endErr != nil {
			s.log.Error("record failed call", "call", id, "err", endErr)
		}
		return nil, err
	}
	req := queue.Request{ID: id, StationID: rec.StationID, StationName: rec.StationName, Island: rec.Island,
		ItemID: rec.ItemID, ItemName: rec.ItemName, Green: rec.Green, EnqueuedAt: rec.RequestedAt}
	station := s.session(rec.StationID)
	if station == nil {
		station = s.remoteStation(req)
	}
	unrecorded, _ := s.checkRecording()
	c := newCall(req, item, mediaRoom{room}, station, agent, unrecorded)
	c.started, c.caseID, c.caseNo, c.moved = rec.AcceptedAt, cs.ID, cs.Number, true
	c.mediaLost, c.events = map[string]time.Time{}, s.events
	if s.deps.Recorder != nil {
		room.AddSink(s.deps.Recorder.SinkFactory(rec)) // a new part, on this node
	}
	s.mu.Lock()
	s.callsByID[c.id] = c
	s.mu.Unlock()
	s.metrics.callsActive.Inc()
	station.setAway(nil)
	station.setCall(c)
	agent.setCall(c)
	for _, sess := range []*session{station, agent} {
		s.dropStanding(sess, standbyNotAdopted) // a moved call connects anew
	}
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "moved", Actor: s.cfg.Node, Detail: from})
	started := c.startedFor(station)
	station.push(TypeCallStarted, started)
	agent.push(TypeCallStarted, c.startedFor(agent))
	if station.remote != nil {
		s.retargetRecord(ctx, rec.StationID, id, started)
	}
	s.watchLink(c)
	s.log.Info("call re-established here", "call", id, "from", from)
	return c, nil
}

// takeRecord moves the record of call id from node from to this one, if it
// is still open and agent's, and returns it with its item and case.
func (s *Server) takeRecord(ctx context.Context, agent *session, id, from string) (calls.Call, catalog.Item, cases.Case, error) {
	rec, err := s.deps.Calls.Get(ctx, id)
	if err != nil {
		return rec, catalog.Item{}, cases.Case{}, err
	}
	if !rec.EndedAt.IsZero() || rec.AgentID != agent.ident.AccountID {
		return rec, catalog.Item{}, cases.Case{}, fmt.Errorf("call %s has ended or is not %s's", id, agent.ident.Username)
	}
	item, err := s.deps.Catalog.Item(ctx, rec.ItemID)
	if err != nil {
		return rec, item, cases.Case{}, fmt.Errorf("item of call %s: %w", id, err)
	}
	cs, err := s.deps.Cases.OpenForCall(ctx, rec) // the case opened when the call started
	if err != nil {
		return rec, item, cs, fmt.Errorf("case of call %s: %w", id, err)
	}
	if from != s.cfg.Node {
		moved, err := s.deps.Calls.Move(ctx, id, from, s.cfg.Node)
		if err != nil {
			return rec, item, cs, err
		}
		if !moved {
			return rec, item, cs, fmt.Errorf("call %s is no longer open on %s", id, from)
		}
	}
	rec.Node = s.cfg.Node
	return rec, item, cs, nil
}

// retargetRecord points a station's kept session at the call's new node,
// for a station that is not signed in anywhere now and resumes later.
func (s *Server) retargetRecord(ctx context.Context, stationID, callID string, started callStartedData) {
	ctx, cancel := context.WithTimeout(ctx, recordSaveTimeout)
	defer cancel()
	rec, err := s.deps.Sessions.Load(ctx, stationID)
	if err != nil || rec.CallID != callID {
		return
	}
	rec.CallNode = s.cfg.Node
	rec.Call, _ = json.Marshal(started)
	if err := s.deps.Sessions.Save(ctx, rec); err != nil {
		s.log.Warn("point the station's session at its call", "call", callID, "err", err)
	}
}
