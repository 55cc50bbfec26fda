package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
)

// A node killed outright leaves its calls open in the record. Their agents
// usually come back through the load balancer within seconds and the calls
// are re-established on a survivor (movecall.go), which moves them in the
// record. What is still open on a node dead for longer than the resume
// grace is closed as lost by a survivor, and its parties are told, so that
// no call of a dead node stays "live".

// sweepInterval is how often a node looks for calls of dead nodes.
const sweepInterval = 2 * time.Second

func (s *Server) sweepLostNodes(stop <-chan struct{}) {
	tick := time.NewTicker(sweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			s.sweep()
		}
	}
}

// sweep closes the calls of the nodes dead for the resume grace. Only this
// goroutine uses s.deadSince.
func (s *Server) sweep() {
	ctx, cancel := context.WithTimeout(context.Background(), sweepInterval)
	defer cancel()
	nodes, err := s.deps.Calls.OpenNodes(ctx)
	if err != nil {
		return
	}
	now, dead := time.Now(), map[string]bool{}
	for _, n := range nodes {
		if n == s.cfg.Node {
			continue
		}
		if alive, err := s.deps.Nodes.Alive(ctx, n); err != nil || alive {
			continue
		}
		dead[n] = true
		since, ok := s.deadSince[n]
		if !ok {
			s.deadSince[n] = now
		} else if now.Sub(since) >= s.cfg.ResumeGrace {
			s.closeLost(ctx, n)
		}
	}
	for n := range s.deadSince {
		if !dead[n] {
			delete(s.deadSince, n)
		}
	}
}

// closeLost ends the calls still open on a dead node and tells their
// parties wherever they are signed in.
func (s *Server) closeLost(ctx context.Context, node string) {
	ids, err := s.deps.Calls.CloseLost(ctx, node, time.Now())
	if err != nil {
		s.log.Warn("close calls of a dead node", "node", node, "err", err)
		return
	}
	for _, id := range ids {
		rec, err := s.deps.Calls.Get(ctx, id)
		if err != nil {
			continue
		}
		ended := callEndedData{CallID: id, Reason: calls.EndReasonNodeLost, By: "server"}
		for _, account := range []string{rec.StationID, rec.AgentID} {
			if sess := s.session(account); sess != nil {
				if away := sess.awayCall(); away != nil && away.id == id {
					sess.setAway(nil)
				}
			}
			s.pushTo(account, TypeCallEnded, ended)
		}
	}
	if len(ids) > 0 {
		s.log.Warn("closed the calls of a dead node", "node", node, "calls", len(ids))
	}
}
