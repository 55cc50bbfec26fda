package signaling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudwindow/calls"
	"cloudwindow/queue"
)

// Blind transfer (转接): the agent sends the running call to a skill group,
// or to one named colleague who is ready (agent.colleagues lists them).
// The resident stays in the call, on hold with a plain message, and the
// call goes to the head of the queue under its own id, so it keeps its
// case, its scans and its one recording. The agent who takes the offer
// joins the call and the first agent leaves for their wrap-up. If nobody
// has taken it when the ring timeout has passed, or the named colleague
// rejects it, the call comes back to the first agent.

// transferNotice is what the resident sees while the call is transferred.
const transferNotice = "正在为您转接…"

// groupRequestData sends a running call to a skill group: call.transfer
// and call.consult carry the same fields. A transfer may name one agent
// (to_agent, an account id) instead of a group.
type groupRequestData struct {
	CallID     string `json:"call_id"`
	SkillGroup string `json:"skill_group,omitempty"`
	ToAgent    string `json:"to_agent,omitempty"`
}

func (d *groupRequestData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if d.ToAgent != "" {
		if d.SkillGroup != "" {
			return protoErr(CodeBadMessage, "give skill_group or to_agent, not both")
		}
		return checkLen("to_agent", d.ToAgent, maxIDLen, true)
	}
	return checkLen("skill_group", d.SkillGroup, maxIDLen, true)
}

// transferStatusData tells the call's participants how a transfer goes.
type transferStatusData struct {
	CallID  string `json:"call_id"`
	State   string `json:"state"` // transferring, answered, returned
	Message string `json:"message,omitempty"`
	To      string `json:"to,omitempty"` // the agent who took it
}

// startTransfer puts the resident on hold for a transfer by sess, the
// handling agent, and arms the timer that brings the call back.
func (c *call) startTransfer(sess *session, toAgent string, timeout time.Duration, back func()) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.find(sess)
	switch {
	case c.ended:
		return protoErr(CodeInvalidState, "call %s has ended", c.id)
	case p == nil || p.role != roleAgent:
		return protoErr(CodeForbidden, "only the agent handling call %s can transfer it", c.id)
	case c.transfer != nil:
		return protoErr(CodeInvalidState, "call %s is already being transferred", c.id)
	}
	c.parts[0].held = true
	c.transferTo = toAgent
	c.transfer = time.AfterFunc(timeout, back)
	c.applyRouting()
	return nil
}

// transferringTo is the colleague a pending transfer rings, empty if the
// transfer went to a group or none is pending.
func (c *call) transferringTo() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.transfer == nil {
		return ""
	}
	return c.transferTo
}

// endTransfer stops a pending transfer and takes the resident off hold;
// false if none was pending.
func (c *call) endTransfer() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.transfer == nil {
		return false
	}
	c.transfer.Stop()
	c.transfer, c.transferTo = nil, ""
	c.parts[0].held = false
	c.applyRouting()
	return true
}

// handOver gives the call to agent, who took the transferred call; it
// returns the agent who had it.
func (c *call) handOver(agent *session) (*session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || c.transfer == nil {
		return nil, protoErr(CodeNotOffered, "call %s is no longer being transferred", c.id)
	}
	c.transfer.Stop()
	c.transfer, c.transferTo = nil, ""
	var first *session
	if p := c.byRole(roleAgent); p != nil {
		first = p.sess
		c.drop(p)
	}
	c.parts[0].held = false
	c.parts = append(c.parts, &participant{sess: agent, role: roleAgent, party: string(partyAgent), rights: fullRights})
	c.applyRouting()
	return first, nil
}

func (s *Server) handleTransfer(ctx context.Context, sess *session, m Message) error {
	var d groupRequestData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	target, err := s.transferTarget(ctx, sess, d)
	if err != nil {
		return err
	}
	if err := c.startTransfer(sess, d.ToAgent, s.cfg.TransferTimeout, func() { s.transferTimedOut(c) }); err != nil {
		return err
	}
	req := c.req
	req.SkillGroup, req.ToAgent, req.Transfer, req.AppointmentID, req.AppointmentAt = d.SkillGroup, d.ToAgent, true, "", time.Time{}
	if _, err := s.queue.Enqueue(ctx, req); err != nil {
		c.endTransfer()
		return fmt.Errorf("enqueue transfer of %s: %w", c.id, err)
	}
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "transfer", Actor: sess.ident.DisplayName, Detail: target})
	sess.reply(m.ID, TypeOK, empty{})
	status := transferStatusData{CallID: c.id, State: "transferring", Message: transferNotice}
	for _, to := range c.sessions() {
		to.push(TypeTransferStatus, status)
	}
	return nil
}

// transferTarget checks that someone can take the transfer: an online
// agent of the group, or the named colleague, ready now. It returns how
// the timeline names the target.
func (s *Server) transferTarget(ctx context.Context, sess *session, d groupRequestData) (string, error) {
	if d.ToAgent == "" {
		if ok, err := s.queue.CanServe(ctx, d.SkillGroup); err != nil {
			return "", fmt.Errorf("check agents for %s: %w", d.SkillGroup, err)
		} else if !ok {
			return "", protoErr(CodeNoAgents, "no agent of %s is online", d.SkillGroup)
		}
		return d.SkillGroup, nil
	}
	if d.ToAgent == sess.ident.AccountID {
		return "", protoErr(CodeBadMessage, "you cannot transfer a call to yourself")
	}
	colleague, err := s.readyColleague(ctx, d.ToAgent)
	if err != nil {
		return "", err
	}
	return colleague.Name, nil
}

// transferTimedOut brings the call back to the first agent when nobody
// took it in time.
func (s *Server) transferTimedOut(c *call) { s.transferBack(c, "timeout") }

// transferBack brings a pending transfer back to the first agent: nobody
// took it in time, or the named colleague rejected it.
func (s *Server) transferBack(c *call, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	station := c.resident()
	err := s.queue.Cancel(ctx, station.ident.AccountID, c.id)
	if errors.Is(err, queue.ErrNotFound) {
		return // an agent took it just now
	} else if err != nil {
		s.log.Warn("take a timed-out transfer out of the queue", "call", c.id, "err", err)
	}
	if !c.endTransfer() {
		return
	}
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "transfer_returned", Actor: "server", Detail: reason})
	status := transferStatusData{CallID: c.id, State: "returned"}
	for _, to := range c.sessions() {
		to.push(TypeTransferStatus, status)
	}
}

// takeTransfer joins the agent who accepted a transferred call to it.
func (s *Server) takeTransfer(ctx context.Context, agent *session, req queue.Request) (*call, error) {
	c := s.liveCall(req.ID)
	if c == nil {
		return nil, protoErr(CodeNotFound, "the transferred call has ended")
	}
	first, err := c.handOver(agent)
	if err != nil {
		return nil, err
	}
	s.recordParticipant(ctx, c, agent, roleAgent)
	agent.setCall(c)
	s.dropStanding(agent, standbyNotAdopted) // a transfer comes on a connection of its own
	now := time.Now()
	if first != nil {
		first.setCallIf(c, nil)
		first.push(TypeCallEnded, callEndedData{CallID: c.id, Reason: "transferred", By: agent.ident.DisplayName, DurationS: seconds(now.Sub(c.started))})
		s.agentDone(ctx, first, c.id, now.Sub(c.started))
	}
	s.events.add(c.id, calls.Event{At: now, Type: "transfer_answered", Actor: agent.ident.DisplayName})
	status := transferStatusData{CallID: c.id, State: "answered", To: agent.ident.DisplayName}
	for _, to := range c.sessions(agent) {
		to.push(TypeTransferStatus, status)
	}
	s.announceParticipants(c)
	return c, nil
}

// cancelTransfer takes what an ended call left waiting in the queue (a
// transfer or a consultation) out of it.
func (s *Server) cancelTransfer(ctx context.Context, c *call) {
	if !c.stopWaiting() {
		return
	}
	if err := s.queue.Cancel(ctx, c.req.StationID, c.id); err != nil && !errors.Is(err, queue.ErrNotFound) {
		s.log.Warn("take an ended call's transfer out of the queue", "call", c.id, "err", err)
	}
}

// stopWaiting forgets a transfer or consultation still waiting in the
// queue; false if none was.
func (c *call) stopWaiting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	waiting := c.transfer != nil || c.consulting
	if c.transfer != nil {
		c.transfer.Stop()
		c.transfer = nil
	}
	c.consulting = false
	return waiting
}
