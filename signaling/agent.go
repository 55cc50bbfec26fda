package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/queue"
)

func (s *Server) handleAgentState(ctx context.Context, sess *session, m Message) error {
	var d agentStateData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	sess.mu.Lock()
	sess.agentReason = d.Reason
	sess.mu.Unlock()
	err := s.queue.SetReady(ctx, sess.ident.AccountID, d.State == "ready")
	if errors.Is(err, queue.ErrInvalidState) {
		return protoErr(CodeInvalidState, "the state cannot change now (in a call, wrap-up or an offer)")
	} else if err != nil {
		return fmt.Errorf("set state of %s: %w", sess.ident.Username, err)
	}
	st, _ := s.queue.AgentState(ctx, sess.ident.AccountID)
	sess.reply(m.ID, TypeAgentStatus, agentStatusData{State: string(st), Reason: d.Reason})
	return nil
}

func (s *Server) handleCallAccept(ctx context.Context, sess *session, m Message) error {
	var d requestRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if sess.currentCall() != nil || sess.awayCall() != nil {
		return protoErr(CodeInvalidState, "you are already in a call")
	}
	req, err := s.queue.Accept(ctx, sess.ident.AccountID, d.RequestID)
	if errors.Is(err, queue.ErrNotOffered) || errors.Is(err, queue.ErrNotFound) {
		return protoErr(CodeNotOffered, "this call is not offered to you")
	} else if err != nil {
		return fmt.Errorf("accept %s: %w", d.RequestID, err)
	}
	if req.Transfer {
		if node, err := s.callNode(ctx, req.ID); err != nil || node != "" {
			return s.acceptAway(ctx, sess, m, node, req, err)
		}
	}
	connect := s.connect
	switch {
	case req.Consult:
		connect = s.takeConsult
	case req.Transfer:
		connect = s.takeTransfer
	}
	c, err := connect(ctx, sess, req)
	if err != nil {
		s.acceptFailed(ctx, sess, req)
		return err
	}
	sess.reply(m.ID, TypeCallStarted, c.startedFor(sess))
	if code := c.unrecordedCode(); code != "" {
		s.announceRecording(c, false, code)
	}
	return nil
}

// acceptAway joins sess to the transfer or consultation req, whose call
// runs on node (found unless err).
func (s *Server) acceptAway(ctx context.Context, sess *session, m Message, node string, req queue.Request, err error) error {
	var started json.RawMessage
	if err == nil {
		started, err = s.joinAway(ctx, sess, node, req)
	}
	if err != nil {
		s.acceptFailed(ctx, sess, req)
		return err
	}
	sess.send(Message{Type: TypeCallStarted, Re: m.ID, Data: started})
	return nil
}

// acceptFailed cleans up after an accepted request could not be
// connected: it has left the queue, so the agent goes back to it, and the
// station is told rather than left waiting for nothing.
func (s *Server) acceptFailed(ctx context.Context, sess *session, req queue.Request) {
	s.metrics.startFailures.Inc()
	s.queue.CallEnded(ctx, sess.ident.AccountID, 0)
	s.queue.FinishWrapUp(ctx, sess.ident.AccountID)
	if station := s.session(req.StationID); station != nil {
		s.requestGone(station, req.ID)
	}
	s.pushTo(req.StationID, TypeCallEnded, callEndedData{CallID: req.ID, Reason: "failed", By: "server"})
}

// connect starts the call of an accepted request with its station.
func (s *Server) connect(ctx context.Context, agent *session, req queue.Request) (*call, error) {
	station := s.session(req.StationID)
	if station == nil && s.deps.Bus != nil {
		station = s.remoteStation(req) // signed in to another node
	}
	if station == nil {
		return nil, protoErr(CodeNotFound, "the station has left")
	}
	s.armStanding(agent, req.StationID)
	item, err := s.deps.Catalog.Item(ctx, req.ItemID)
	if err != nil {
		return nil, fmt.Errorf("look up item %s: %w", req.ItemID, err)
	}
	c, err := s.startCall(ctx, agent, station, req, item)
	if err != nil {
		return nil, fmt.Errorf("start call %s: %w", req.ID, err)
	}
	return c, nil
}

func (s *Server) handleCallReject(ctx context.Context, sess *session, m Message) error {
	var d requestRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	err := s.queue.Reject(ctx, sess.ident.AccountID, d.RequestID)
	if errors.Is(err, queue.ErrNotOffered) || errors.Is(err, queue.ErrNotFound) {
		return protoErr(CodeNotOffered, "this call is not offered to you")
	} else if err != nil {
		return fmt.Errorf("reject %s: %w", d.RequestID, err)
	}
	s.events.add(d.RequestID, calls.Event{At: time.Now(), Type: "rejected", Actor: sess.ident.DisplayName})
	s.stopRinging(sess)
	sess.reply(m.ID, TypeOK, empty{})
	// Nobody else may take a transfer to this agent: it goes back at once.
	if c := s.liveCall(d.RequestID); c != nil && c.transferringTo() == sess.ident.AccountID {
		s.transferBack(c, "rejected")
	} else if c == nil {
		s.rejectedAway(ctx, sess, d.RequestID)
	}
	return nil
}

func (s *Server) handleCallWrapup(ctx context.Context, sess *session, m Message) error {
	var d wrapupData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	sess.mu.Lock()
	last := sess.lastCallID
	sess.mu.Unlock()
	if last != d.CallID {
		return protoErr(CodeInvalidState, "call %s is not waiting for your wrap-up", d.CallID)
	}
	if running, err := s.callRunning(ctx, d.CallID); err != nil {
		return err
	} else if running {
		return s.wrapUpHandedOn(ctx, sess, m, d.CallID)
	}
	if err := s.deps.Calls.WrapUp(ctx, d.CallID, d.Outcome, d.Notes); err != nil {
		return fmt.Errorf("wrap up %s: %w", d.CallID, err)
	}
	cs, err := s.deps.Cases.WrapUp(ctx, d.CallID, sess.ident, d.Outcome, d.Missing, d.Notes)
	if errors.Is(err, cases.ErrInvalid) {
		return protoErr(CodeBadMessage, "%v", err)
	} else if err != nil {
		return fmt.Errorf("wrap up case of %s: %w", d.CallID, err)
	}
	sess.mu.Lock()
	sess.lastCallID = ""
	sess.mu.Unlock()
	s.events.add(d.CallID, calls.Event{At: time.Now(), Type: "wrapup", Actor: sess.ident.DisplayName, Detail: d.Outcome})
	if err := s.queue.FinishWrapUp(ctx, sess.ident.AccountID); err != nil && !errors.Is(err, queue.ErrInvalidState) {
		return fmt.Errorf("finish wrap-up of %s: %w", sess.ident.Username, err)
	}
	data := caseDataOf(cs)
	sess.reply(m.ID, TypeCaseUpdated, data)
	s.pushTo(cs.StationID, TypeCaseUpdated, data)
	return nil
}

// callRunning tells whether a call still runs: an agent who transferred it
// or handed it over wraps up only their own part, and the agent who ends
// it wraps up its case.
func (s *Server) callRunning(ctx context.Context, callID string) (bool, error) {
	c, err := s.deps.Calls.Get(ctx, callID)
	if err != nil {
		return false, fmt.Errorf("look up call %s: %w", callID, err)
	}
	return c.EndedAt.IsZero(), nil
}

// wrapUpHandedOn ends the wrap-up of an agent whose call went on with
// someone else, leaving the call's record and its case as they are.
func (s *Server) wrapUpHandedOn(ctx context.Context, sess *session, m Message, callID string) error {
	sess.mu.Lock()
	sess.lastCallID = ""
	sess.mu.Unlock()
	s.events.add(callID, calls.Event{At: time.Now(), Type: "wrapup", Actor: sess.ident.DisplayName, Detail: "handed_on"})
	if err := s.queue.FinishWrapUp(ctx, sess.ident.AccountID); err != nil && !errors.Is(err, queue.ErrInvalidState) {
		return fmt.Errorf("finish wrap-up of %s: %w", sess.ident.Username, err)
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}
