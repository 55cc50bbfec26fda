package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/media"
)

// A watching supervisor may step into the call (call.supervise): whisper to
// the agent, whom alone their voice reaches; barge in, heard and seen by
// everyone; take the call over, the agent leaving it for their wrap-up; or
// go back to watching. Each step is audited and goes on the call's
// timeline. To be heard the supervisor's client then offers its microphone
// (rtc.offer with fresh), as a watcher's connection only receives.

// Auditor keeps who did what (the audit log).
type Auditor interface {
	Record(ctx context.Context, actor identity.Identity, action, objectType, objectID, remoteAddr, detail string) error
}

// Supervision modes.
const (
	modeWatch    = "watch"
	modeWhisper  = "whisper"
	modeBarge    = "barge"
	modeTakeOver = "takeover"
)

type superviseData struct {
	CallID string `json:"call_id"`
	Mode   string `json:"mode"`
}

func (d *superviseData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	switch d.Mode {
	case modeWatch, modeWhisper, modeBarge, modeTakeOver:
		return nil
	}
	return protoErr(CodeBadMessage, "mode must be watch, whisper, barge or takeover")
}

// supervise changes what a watching supervisor does in the call. On a
// take-over it returns the agent who left.
func (c *call) supervise(sess *session, mode string) (left *session, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.find(sess)
	if c.ended || p == nil || p.role != roleSupervisor {
		return nil, protoErr(CodeInvalidState, "watch call %s first (monitor.start)", c.id)
	}
	p.whisper = ""
	switch mode {
	case modeWatch:
		p.rights = hearOnly
	case modeWhisper:
		p.rights, p.whisper = hearOnly|sendAudio, roleAgent
	case modeBarge:
		p.rights = fullRights
	case modeTakeOver:
		if agent := c.byRole(roleAgent); agent != nil {
			left = agent.sess
			c.drop(agent)
		}
		p.role, p.rights = roleAgent, fullRights
	}
	if p.party == media.PartyMonitor {
		// The label their next connection will have (see connect), so that
		// everyone can match the participant to the media they will see.
		p.party = c.freeParty(p, partyOf(p.role, p.rights))
	}
	c.applyRouting()
	return left, nil
}

// drop takes p out of the call and closes its media. c.mu held.
func (c *call) drop(p *participant) {
	for i, q := range c.parts {
		if q == p {
			c.parts = append(c.parts[:i:i], c.parts[i+1:]...)
			break
		}
	}
	if p.peer != nil {
		p.peer.Close()
	}
}

func (s *Server) handleSupervise(ctx context.Context, sess *session, m Message) error {
	var d superviseData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c := s.liveCall(d.CallID)
	if c == nil {
		return protoErr(CodeNotFound, "call %s is not running on this server", d.CallID)
	}
	left, err := c.supervise(sess, d.Mode)
	if err != nil {
		return err
	}
	now := time.Now()
	if s.deps.Audit != nil {
		if err := s.deps.Audit.Record(ctx, sess.ident, "call."+d.Mode, "call", c.id, "", ""); err != nil {
			s.log.Error("audit supervision", "call", c.id, "mode", d.Mode, "err", err)
		}
	}
	s.events.add(c.id, calls.Event{At: now, Type: "supervisor_" + d.Mode, Actor: sess.ident.DisplayName})
	sess.reply(m.ID, TypeOK, empty{})
	if left != nil {
		left.setCallIf(c, nil)
		left.push(TypeCallEnded, callEndedData{CallID: c.id, Reason: "taken_over", By: sess.ident.DisplayName, DurationS: seconds(now.Sub(c.started))})
		if left.ident.Role == identity.RoleAgent {
			s.agentDone(ctx, left, c.id, now.Sub(c.started))
		}
	}
	s.announceParticipants(c)
	return nil
}
