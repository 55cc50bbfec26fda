package signaling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloudwindow/identity"
	"cloudwindow/queue"
)

// The Server is a queue.Rejoiner: when a new queue leader takes over, each
// node tells it who is signed in here. A leader that restored the last
// state already knows them all; one that started empty, after Redis
// restarted without persistence, gets back every signed-in agent in their
// state and every waiting station in its first place, so nobody has to
// sign in or queue again.

var _ queue.Rejoiner = (*Server)(nil)

// rejoinTimeout bounds a Rejoin: what it tells is true when it is sent, and
// must not reach the queue much later (Redis holds requests while it is
// frozen), undoing what happened meanwhile. The queue asks again.
const rejoinTimeout = 3 * time.Second

// Rejoin tells the queue of this node's agents and waiting stations.
func (s *Server) Rejoin(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, rejoinTimeout)
	defer cancel()
	s.saveAllRecords() // a Redis that restarted empty lost them too
	agents, requests := s.presence()
	if len(agents) > 0 || len(requests) > 0 {
		if err := s.queue.Rejoin(ctx, agents, requests); err != nil {
			return fmt.Errorf("rejoin %d agents and %d waiting stations: %w", len(agents), len(requests), err)
		}
		s.log.Info("told the queue who is signed in here", "agents", len(agents), "waiting", len(requests))
	}
	return s.settleLeftovers(ctx)
}

// leftovers are the agents and waiting requests of sessions that ended
// while the queue could not be reached: a queue restored from Redis would
// still hold them, offering calls to agents who left and residents who
// went home. They are taken out with the next Rejoin.
type leftovers struct {
	mu      sync.Mutex
	offline map[string]bool   // agent ids
	cancels map[string]string // request id by station id
}

func (l *leftovers) offlineLater(agentID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.offline == nil {
		l.offline = map[string]bool{}
	}
	l.offline[agentID] = true
}

func (l *leftovers) cancelLater(stationID, requestID string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancels == nil {
		l.cancels = map[string]string{}
	}
	l.cancels[stationID] = requestID
}

func (l *leftovers) take() (offline map[string]bool, cancels map[string]string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	offline, cancels = l.offline, l.cancels
	l.offline, l.cancels = nil, nil
	return offline, cancels
}

// settleLeftovers takes the leftovers out of the queue; those it still
// cannot reach wait for the next try. An agent who has signed in here again
// stays.
func (s *Server) settleLeftovers(ctx context.Context) error {
	offline, cancels := s.left.take()
	var unsettled error
	for agentID := range offline {
		if s.session(agentID) != nil {
			continue
		}
		if err := s.queue.AgentOffline(ctx, agentID); errors.Is(err, queue.ErrUnavailable) {
			s.left.offlineLater(agentID)
			unsettled = err
		}
	}
	for stationID, requestID := range cancels {
		if err := s.queue.Cancel(ctx, stationID, requestID); errors.Is(err, queue.ErrUnavailable) {
			s.left.cancelLater(stationID, requestID)
			unsettled = err
		}
	}
	if unsettled != nil {
		return fmt.Errorf("take out what ended sessions left in the queue: %w", unsettled)
	}
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
		case identity.RoleAgent:
			agents = append(agents, sess.agentPresence())
		case identity.RoleStation:
			sess.mu.Lock()
			req := sess.request
			sess.mu.Unlock()
			if req.ID != "" && req.StationID != "" {
				requests = append(requests, req)
			}
			requests = append(requests, s.tickets.requests(sess.ident.AccountID)...)
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
		p.Station = s.call.req.StationID
	case s.lastCallID != "":
		p.State = queue.WrapUp
	case s.agentState == queue.Ready || s.agentState == queue.WrapUp:
		p.State = queue.Ready
	default:
		p.State = queue.NotReady
	}
	return p
}
