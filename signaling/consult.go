package signaling

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudwindow/calls"
	"cloudwindow/queue"
)

// Consult (warm, 咨询后台): the agent puts the resident on hold and asks
// the back office (a skill group such as backoffice). The resident sees a
// hold screen and receives no media; the request goes to the head of that
// group's queue under the call's id, and the agent who accepts it joins the
// call as the consulted agent and talks with the first. Then the first
// agent merges all three, hands the call over (leaving for wrap-up), or
// ends the consultation.

// holdNotice is what the resident sees while on hold.
const holdNotice = "请稍候，工作人员正在为您咨询…"

type consultEndData struct {
	CallID string `json:"call_id"`
	Action string `json:"action"` // merge, handover, cancel
}

func (d *consultEndData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	switch d.Action {
	case "merge", "handover", "cancel":
		return nil
	}
	return protoErr(CodeBadMessage, "action must be merge, handover or cancel")
}

// holdData tells the resident they are on hold, or back.
type holdData struct {
	CallID  string `json:"call_id"`
	Held    bool   `json:"held"`
	Message string `json:"message,omitempty"`
}

// startConsult puts the resident on hold for a consultation by sess.
func (c *call) startConsult(sess *session) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.find(sess)
	switch {
	case c.ended:
		return protoErr(CodeInvalidState, "call %s has ended", c.id)
	case p == nil || p.role != roleAgent:
		return protoErr(CodeForbidden, "only the agent handling call %s can consult", c.id)
	case c.transfer != nil || c.consulting || c.byRole(roleConsulted) != nil:
		return protoErr(CodeInvalidState, "call %s is already being transferred or consulted on", c.id)
	}
	c.consulting = true
	c.parts[0].held = true
	c.applyRouting()
	return nil
}

// joinConsulted adds the agent who took the consultation.
func (c *call) joinConsulted(agent *session) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || !c.consulting {
		return protoErr(CodeNotOffered, "call %s no longer asks for a consultation", c.id)
	}
	c.consulting = false
	c.parts = append(c.parts, &participant{sess: agent, role: roleConsulted, party: partyOf(roleConsulted, fullRights), rights: fullRights})
	c.applyRouting()
	return nil
}

// endConsult ends a consultation as the handling agent sess chose; it
// returns who leaves the call (the consulted agent on cancel, the first
// agent on a handover) and whether a request still waits in the queue.
func (c *call) endConsult(sess *session, action string) (left *session, queued bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	me, consulted := c.find(sess), c.byRole(roleConsulted)
	switch {
	case c.ended || me == nil || me.role != roleAgent:
		return nil, false, protoErr(CodeForbidden, "only the agent handling call %s can end a consultation", c.id)
	case consulted == nil && (!c.consulting || action != "cancel"):
		return nil, false, protoErr(CodeInvalidState, "nobody is consulted on call %s", c.id)
	}
	queued, c.consulting = c.consulting, false
	switch action {
	case "cancel":
		if consulted != nil {
			left = consulted.sess
			c.drop(consulted)
		}
	case "handover":
		left = me.sess
		c.drop(me)
		consulted.role = roleAgent
	}
	c.parts[0].held = false
	c.applyRouting()
	return left, queued, nil
}

func (s *Server) handleConsult(ctx context.Context, sess *session, m Message) error {
	var d groupRequestData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if d.ToAgent != "" {
		return protoErr(CodeBadMessage, "a consultation asks a skill group (skill_group), not a named agent")
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	if ok, err := s.queue.CanServe(ctx, d.SkillGroup); err != nil {
		return fmt.Errorf("check agents for %s: %w", d.SkillGroup, err)
	} else if !ok {
		return protoErr(CodeNoAgents, "no agent of %s is online", d.SkillGroup)
	}
	if err := c.startConsult(sess); err != nil {
		return err
	}
	req := c.req
	req.SkillGroup, req.Transfer, req.Consult, req.AppointmentID, req.AppointmentAt = d.SkillGroup, true, true, "", time.Time{}
	if _, err := s.queue.Enqueue(ctx, req); err != nil {
		c.endConsult(sess, "cancel")
		return fmt.Errorf("enqueue consultation on %s: %w", c.id, err)
	}
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "hold", Actor: sess.ident.DisplayName})
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "consult", Actor: sess.ident.DisplayName, Detail: d.SkillGroup})
	sess.reply(m.ID, TypeOK, empty{})
	c.resident().push(TypeCallHold, holdData{CallID: c.id, Held: true, Message: holdNotice})
	return nil
}

// takeConsult joins the agent who accepted a consultation to its call.
func (s *Server) takeConsult(ctx context.Context, agent *session, req queue.Request) (*call, error) {
	c := s.liveCall(req.ID)
	if c == nil {
		return nil, protoErr(CodeNotFound, "the call has ended")
	}
	if err := c.joinConsulted(agent); err != nil {
		return nil, err
	}
	s.recordParticipant(ctx, c, agent, roleConsulted)
	agent.setCall(c)
	s.dropStanding(agent, standbyNotAdopted) // a consultation comes on a connection of its own
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "consult_answered", Actor: agent.ident.DisplayName})
	s.announceParticipants(c)
	return c, nil
}

func (s *Server) handleConsultEnd(ctx context.Context, sess *session, m Message) error {
	var d consultEndData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	left, queued, err := c.endConsult(sess, d.Action)
	if err != nil {
		return err
	}
	if queued {
		if err := s.queue.Cancel(ctx, c.req.StationID, c.id); err != nil && !errors.Is(err, queue.ErrNotFound) {
			s.log.Warn("take a consultation out of the queue", "call", c.id, "err", err)
		}
	}
	now := time.Now()
	s.events.add(c.id, calls.Event{At: now, Type: "consult_" + d.Action, Actor: sess.ident.DisplayName})
	sess.reply(m.ID, TypeOK, empty{})
	if left != nil {
		left.setCallIf(c, nil)
		reason := map[string]string{"cancel": "consult_ended", "handover": "handed_over"}[d.Action]
		left.push(TypeCallEnded, callEndedData{CallID: c.id, Reason: reason, By: sess.ident.DisplayName, DurationS: seconds(now.Sub(c.started))})
		if d.Action == "handover" {
			s.agentDone(ctx, left, c.id, now.Sub(c.started))
		} else {
			s.consultDone(ctx, left, now.Sub(c.started))
		}
	}
	c.resident().push(TypeCallHold, holdData{CallID: c.id, Held: false})
	s.announceParticipants(c)
	return nil
}
