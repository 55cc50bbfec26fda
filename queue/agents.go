package queue

import (
	"context"
	"fmt"
	"time"
)

// agent is an agent as the queue tracks them.
type agent struct {
	info     Agent
	skills   map[string]struct{}
	state    AgentState
	readySeq uint64 // when the agent last became ready; lower means idle longer
	offer    *offer // the request ringing at this agent, if any
	station  string // while busy: the station whose call it is
	wrapUp   *pendingTimer
}

// pendingTimer is a timer whose identity tells a late firing from a current one.
type pendingTimer struct {
	timer Timer
	due   time.Time // kept in the saved state
}

func newAgent(info Agent) *agent {
	a := &agent{state: Offline}
	a.setInfo(info)
	return a
}

func (a *agent) setInfo(info Agent) {
	info.Skills = append([]string(nil), info.Skills...)
	a.info = info
	a.skills = make(map[string]struct{}, len(info.Skills))
	for _, s := range info.Skills {
		a.skills[s] = struct{}{}
	}
}

// serves reports whether the agent can take the skill group at all, and whether
// by skill rather than as a generalist.
func (a *agent) serves(group string) (ok, skilled bool) {
	if _, skilled = a.skills[group]; skilled && group != "" {
		return true, true
	}
	return a.info.Generalist, false
}

// working reports whether the agent is taking calls now or will be soon.
func (a *agent) working() bool {
	return a.state == Ready || a.state == Busy || a.state == WrapUp
}

func (a *agent) free() bool { return a.state == Ready && a.offer == nil }

func (a *agent) stopTimers() {
	if a.offer != nil {
		a.offer.timer.Stop()
	}
	if a.wrapUp != nil {
		a.wrapUp.timer.Stop()
	}
}

// AgentOnline brings an agent online; see Queue.
func (q *Local) AgentOnline(ctx context.Context, info Agent) error {
	if info.ID == "" {
		return fmt.Errorf("agent online: agent id missing: %w", ErrInvalidRequest)
	}
	return q.mutate(ctx, func(time.Time) error {
		a, ok := q.agents[info.ID]
		if ok {
			a.setInfo(info)
		} else {
			a = newAgent(info)
			q.agents[info.ID] = a
		}
		if a.state == Offline {
			q.setState(a, NotReady)
		}
		return nil
	})
}

// AgentOffline takes an agent offline and re-offers their ringing request.
func (q *Local) AgentOffline(ctx context.Context, agentID string) error {
	return q.mutate(ctx, func(time.Time) error {
		a, ok := q.agents[agentID]
		if !ok {
			return fmt.Errorf("agent %s offline: %w", agentID, ErrNotFound)
		}
		q.withdraw(a, ReasonAgentOffline)
		q.setState(a, Offline)
		return nil
	})
}

// SetReady switches an agent between ready and not ready; see Queue.
func (q *Local) SetReady(ctx context.Context, agentID string, ready bool) error {
	return q.mutate(ctx, func(time.Time) error {
		a, err := q.agentIn(agentID, Ready, NotReady, WrapUp)
		if err != nil {
			return fmt.Errorf("set ready=%t: %w", ready, err)
		}
		if ready {
			q.setState(a, Ready)
			return nil
		}
		q.withdraw(a, ReasonAgentNotReady)
		q.setState(a, NotReady)
		return nil
	})
}

// CallEnded moves a busy agent to wrap-up; see Queue.
func (q *Local) CallEnded(ctx context.Context, agentID string, handled time.Duration) error {
	return q.mutate(ctx, func(time.Time) error {
		a, ok := q.agents[agentID]
		if ok && a.state == Offline {
			// The agent dropped out during the call; the handle time still counts.
			q.handle.add(handled)
			return nil
		}
		a, err := q.agentIn(agentID, Busy)
		if err != nil {
			return fmt.Errorf("call ended: %w", err)
		}
		q.handle.add(handled)
		q.setState(a, WrapUp)
		return nil
	})
}

// FinishWrapUp returns an agent from wrap-up to ready.
func (q *Local) FinishWrapUp(ctx context.Context, agentID string) error {
	return q.mutate(ctx, func(time.Time) error {
		a, err := q.agentIn(agentID, WrapUp)
		if err != nil {
			return fmt.Errorf("finish wrap-up: %w", err)
		}
		q.setState(a, Ready)
		return nil
	})
}

// agentIn returns the agent if they are in one of the allowed states.
func (q *Local) agentIn(agentID string, allowed ...AgentState) (*agent, error) {
	a, ok := q.agents[agentID]
	if !ok {
		return nil, fmt.Errorf("agent %s: %w", agentID, ErrNotFound)
	}
	for _, s := range allowed {
		if a.state == s {
			return a, nil
		}
	}
	return nil, fmt.Errorf("agent %s is %s: %w", agentID, a.state, ErrInvalidState)
}

// setState moves an agent to state s, starting or stopping the wrap-up timer.
func (q *Local) setState(a *agent, s AgentState) {
	if a.state == s {
		return
	}
	if a.wrapUp != nil {
		a.wrapUp.timer.Stop()
		a.wrapUp = nil
	}
	a.state = s
	if s != Busy {
		a.station = ""
	}
	switch s {
	case Ready:
		q.seq++
		a.readySeq = q.seq
	case WrapUp:
		q.startWrapUp(a, q.cfg.WrapUpTimeout)
	}
	q.events.add(event{kind: evAgentState, agentID: a.info.ID, state: s})
	q.log.Debug("agent state", "agent", a.info.ID, "state", s)
}

// startWrapUp ends the agent's wrap-up after d.
func (q *Local) startWrapUp(a *agent, d time.Duration) {
	p := &pendingTimer{due: q.clock.Now().Add(d)}
	id := a.info.ID
	p.timer = q.clock.AfterFunc(d, func() { q.wrapUpTimedOut(id, p) })
	a.wrapUp = p
}

func (q *Local) wrapUpTimedOut(agentID string, p *pendingTimer) {
	q.onTimer(func(time.Time) bool {
		a, ok := q.agents[agentID]
		if !ok || a.wrapUp != p {
			return false // finished or left wrap-up meanwhile
		}
		q.setState(a, Ready)
		return true
	})
}
