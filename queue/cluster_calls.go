package queue

import (
	"context"
	"time"
)

// The Queue methods of Cluster: each is forwarded to the leader.

// Enqueue adds a station's request; see Queue.
func (c *Cluster) Enqueue(ctx context.Context, r Request) (Position, error) {
	out, err := c.call(ctx, callMsg{Op: opEnqueue, Request: r})
	return out.Position, err
}

// Cancel removes a station's own waiting request; see Queue.
func (c *Cluster) Cancel(ctx context.Context, stationID, requestID string) error {
	_, err := c.call(ctx, callMsg{Op: opCancel, StationID: stationID, RequestID: requestID})
	return err
}

// AgentOnline brings an agent online; see Queue.
func (c *Cluster) AgentOnline(ctx context.Context, a Agent) error {
	_, err := c.call(ctx, callMsg{Op: opAgentOnline, Agent: a})
	return err
}

// AgentOffline takes an agent offline; see Queue.
func (c *Cluster) AgentOffline(ctx context.Context, agentID string) error {
	_, err := c.call(ctx, callMsg{Op: opAgentOffline, AgentID: agentID})
	return err
}

// SetReady switches an agent between ready and not ready; see Queue.
func (c *Cluster) SetReady(ctx context.Context, agentID string, ready bool) error {
	_, err := c.call(ctx, callMsg{Op: opSetReady, AgentID: agentID, Ready: ready})
	return err
}

// Accept takes the request offered to the agent; see Queue.
func (c *Cluster) Accept(ctx context.Context, agentID, requestID string) (Request, error) {
	out, err := c.call(ctx, callMsg{Op: opAccept, AgentID: agentID, RequestID: requestID})
	return out.Request, err
}

// Reject declines the request offered to the agent; see Queue.
func (c *Cluster) Reject(ctx context.Context, agentID, requestID string) error {
	_, err := c.call(ctx, callMsg{Op: opReject, AgentID: agentID, RequestID: requestID})
	return err
}

// CallEnded moves a busy agent to wrap-up; see Queue.
func (c *Cluster) CallEnded(ctx context.Context, agentID string, handled time.Duration) error {
	_, err := c.call(ctx, callMsg{Op: opCallEnded, AgentID: agentID, Handled: handled})
	return err
}

// FinishWrapUp returns an agent from wrap-up to ready; see Queue.
func (c *Cluster) FinishWrapUp(ctx context.Context, agentID string) error {
	_, err := c.call(ctx, callMsg{Op: opFinishWrapUp, AgentID: agentID})
	return err
}

// AgentState reports an agent's state; see Queue.
func (c *Cluster) AgentState(ctx context.Context, agentID string) (AgentState, error) {
	out, err := c.call(ctx, callMsg{Op: opAgentState, AgentID: agentID})
	return out.State, err
}

// CanServe reports whether an online agent could take skillGroup; see Queue.
func (c *Cluster) CanServe(ctx context.Context, skillGroup string) (bool, error) {
	out, err := c.call(ctx, callMsg{Op: opCanServe, Skill: skillGroup})
	return out.Found, err
}

// ReadyAgents lists the agents ready now; see Queue.
func (c *Cluster) ReadyAgents(ctx context.Context) ([]Agent, error) {
	out, err := c.call(ctx, callMsg{Op: opReadyAgents})
	return out.Ready, err
}

// Rejoin brings back agents and requests the queue lost; see Queue.
func (c *Cluster) Rejoin(ctx context.Context, agents []AgentPresence, requests []Request) error {
	_, err := c.call(ctx, callMsg{Op: opRejoin, Agents: agents, Requests: requests})
	return err
}

// Waiting returns the station's waiting request. Without an answer from the
// leader it reports none (logged), as the interface has no error to give.
func (c *Cluster) Waiting(ctx context.Context, stationID string) (Request, Position, bool) {
	out, err := c.call(ctx, callMsg{Op: opWaiting, StationID: stationID})
	if err != nil {
		c.log.Warn("queue waiting", "station", stationID, "err", err)
		return Request{}, Position{}, false
	}
	return out.Request, out.Position, out.Found
}

// Stats returns the wallboard summary. Without an answer from the leader it
// returns an empty one (logged).
func (c *Cluster) Stats(ctx context.Context) Stats {
	out, err := c.call(ctx, callMsg{Op: opStats})
	if err != nil || out.Stats.Agents == nil {
		if err != nil {
			c.log.Warn("queue stats", "err", err)
		}
		return emptyStats()
	}
	return out.Stats
}

func emptyStats() Stats {
	s := Stats{Agents: make(map[AgentState]int, stateCount)}
	for _, st := range allAgentStates() {
		s.Agents[st] = 0
	}
	return s
}
