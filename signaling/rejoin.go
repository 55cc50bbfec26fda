package signaling

import (
	"context"
	"fmt"

	"cloudwindow/auth"
	"cloudwindow/queue"
)

// The Server is a queue.Rejoiner: when a new queue leader takes over, each
// node tells it who is signed in here. A leader that restored the last
// state already knows them all; one that started empty, after Redis
// restarted without persistence, gets back every signed-in agent in their
// state and every waiting station in its first place, so nobody has to
// sign in or queue again.

var _ queue.Rejoiner = (*Server)(nil)

// Rejoin tells the queue of this node's agents and waiting stations.
func (s *Server) Rejoin(ctx context.Context) error {
	agents, requests := s.presence()
	if len(agents) == 0 && len(requests) == 0 {
		return nil
	}
	if err := s.queue.Rejoin(ctx, agents, requests); err != nil {
		return fmt.Errorf("rejoin %d agents and %d waiting stations: %w", len(agents), len(requests), err)
	}
	s.log.Info("told the queue who is signed in here", "agents", len(agents), "waiting", len(requests))
	return nil
}

// presence lists the agents signed in to this node and the stations
// waiting here.
func (s *Server) presence() ([]queue.AgentPresence, []queue.Request) {
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	var agents []queue.AgentPresence
	var requests []queue.Request
	for _, sess := range sessions {
		switch sess.ident.Role {
		case auth.RoleAgent:
			agents = append(agents, sess.agentPresence())
		case auth.RoleStation:
			sess.mu.Lock()
			req := sess.request
			sess.mu.Unlock()
			if req.ID != "" && req.StationID != "" {
				requests = append(requests, req)
			}
		}
	}
	return agents, requests
}

// agentPresence is the agent as the queue should see them: busy while in a
// call, wrapping up while their wrap-up is due, else ready or not as the
// queue last said.
func (s *session) agentPresence() queue.AgentPresence {
	id := s.ident
	p := queue.AgentPresence{Agent: queue.Agent{ID: id.AccountID, Name: id.DisplayName, Skills: id.Skills, Generalist: id.Generalist}}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.call != nil:
		p.State = queue.Busy
	case s.lastCallID != "":
		p.State = queue.WrapUp
	case s.agentState == queue.Ready || s.agentState == queue.WrapUp:
		p.State = queue.Ready
	default:
		p.State = queue.NotReady
	}
	return p
}
