package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/queue"
)

// The Server is the queue's Listener: it turns queue events into messages
// for the sessions concerned. Callbacks never block (sends are queued).

var _ queue.Listener = (*Server)(nil)

func (s *Server) session(accountID string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[accountID]
}

// Offered rings the agent.
func (s *Server) Offered(agentID string, req queue.Request, ringTimeout time.Duration) {
	sess := s.session(agentID)
	if sess == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	offer := callOfferData{
		RequestID: req.ID, GreenChannel: req.GreenReason, WaitedS: seconds(time.Since(req.EnqueuedAt)),
		RingTimeoutS: seconds(ringTimeout), Station: stationOf(req),
	}
	offer.Station.Link = s.offerLink(ctx, req)
	if item, err := s.deps.Catalog.Item(ctx, req.ItemID); err == nil {
		offer.Item = itemJSON(item)
	}
	sess.push(TypeCallOffer, offer)
	s.ringStanding(sess, req.StationID)
	s.events.add(req.ID, calls.Event{At: time.Now(), Type: "offered", Actor: sess.ident.DisplayName})
}

// OfferWithdrawn stops the agent's ringing.
func (s *Server) OfferWithdrawn(agentID, requestID, reason string) {
	sess := s.session(agentID)
	if sess == nil {
		return // every node hears every queue event; the agent's node records it
	}
	sess.push(TypeOfferWithdrawn, offerWithdrawnData{RequestID: requestID, Reason: reason})
	s.stopRinging(sess)
	if reason == "timeout" {
		s.events.add(requestID, calls.Event{At: time.Now(), Type: "ring_timeout", Actor: sess.ident.DisplayName})
	}
}

// PositionChanged tells a waiting station where it stands.
func (s *Server) PositionChanged(stationID string, pos queue.Position) {
	if s.ticketPosition(stationID, pos) {
		return
	}
	if sess := s.session(stationID); sess != nil {
		if c := sess.currentCall(); c != nil && c.id == pos.RequestID {
			return // a call being transferred: the resident sees the transfer notice
		}
		sess.pushLatest(TypeQueuePosition, TypeQueuePosition+"/"+pos.RequestID,
			positionData{RequestID: pos.RequestID, Position: pos.Position, EstimatedWaitS: seconds(pos.EstimatedWait)})
	}
}

// AgentStateChanged tells the agent its new state.
func (s *Server) AgentStateChanged(agentID string, state queue.AgentState) {
	sess := s.session(agentID)
	if sess == nil {
		return
	}
	st := agentStatusData{State: string(state)}
	sess.mu.Lock()
	sess.agentState = state
	sess.mu.Unlock()
	if state == queue.NotReady || state == queue.Offline {
		s.dropStanding(sess, standbyNotReady)
	}
	switch state {
	case queue.NotReady:
		sess.mu.Lock()
		st.Reason = sess.agentReason
		sess.mu.Unlock()
	case queue.WrapUp:
		st.WrapupDeadlineS = seconds(s.cfg.WrapUpTimeout)
	}
	sess.push(TypeAgentStatus, st)
}

// StatsChanged refreshes the wallboards of agents and supervisors.
func (s *Server) StatsChanged(st queue.Stats) { s.stats.update(st) }

func (s *Server) broadcastStats(st queue.Stats) {
	data := statsData(st)
	s.mu.Lock()
	watchers := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		if sess.ident.Role != identity.RoleStation && sess.ident.Role != identity.RoleGuest {
			watchers = append(watchers, sess)
		}
	}
	s.mu.Unlock()
	for _, sess := range watchers {
		sess.push(TypeQueueStats, data)
	}
}
