package signaling

import (
	"context"
	"time"

	"cloudwindow/calls"
)

// Everyone in a call is told who is in it (call.participants) whenever
// that changes. The resident is not told of supervisors who only watch or
// whisper: a whisper is for the agent alone.

type participantInfo struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Party string `json:"party"`
}

type participantsData struct {
	CallID       string            `json:"call_id"`
	Participants []participantInfo `json:"participants"`
}

// members lists the participants as sess may see them.
func (c *call) members(sess *session) []participantInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	me := c.find(sess)
	out := make([]participantInfo, 0, len(c.parts))
	for _, p := range c.parts {
		hidden := p.role == roleSupervisor && (p.whisper != "" || p.rights&(sendAudio|sendVideo) == 0)
		if hidden && me != nil && (me.role == roleResident || me.role == roleGuest || me.role == roleInterpreter) {
			continue
		}
		out = append(out, participantInfo{Name: p.sess.ident.DisplayName, Role: string(p.role), Party: p.party})
	}
	return out
}

// announceParticipants tells everyone in c who is in it now.
func (s *Server) announceParticipants(c *call) {
	for _, sess := range c.sessions() {
		sess.push(TypeCallParticipants, participantsData{CallID: c.id, Participants: c.members(sess)})
	}
}

// repeatCallState tells a participant who resumed their session (a kiosk
// restarted on hold) where the call stands, since what was pushed while
// their socket was down is lost: who is in it and, for the resident,
// whether they wait on hold for a consultation or a transfer.
func (s *Server) repeatCallState(sess *session, c *call) {
	sess.push(TypeCallParticipants, participantsData{CallID: c.id, Participants: c.members(sess)})
	if r, _ := c.roleOf(sess); r != roleResident {
		return
	}
	held, transferring := c.holdState()
	if held {
		sess.push(TypeCallHold, holdData{CallID: c.id, Held: true, Message: holdNotice})
	}
	if transferring {
		sess.push(TypeTransferStatus, transferStatusData{CallID: c.id, State: "transferring", Message: transferNotice})
	}
}

// recordParticipant keeps that sess took part in c in role r, so that the
// call's case and scans stay open to them (calls.Store.Participated), and
// puts the join on the call's timeline. It is written before they are told
// they joined: the back office opens the scans as soon as it sees the call.
func (s *Server) recordParticipant(ctx context.Context, c *call, sess *session, r role) {
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "joined", Actor: sess.ident.DisplayName, Detail: string(r)})
	if s.deps.Calls == nil {
		return
	}
	if err := s.deps.Calls.AddParticipant(ctx, c.id, sess.ident.AccountID, string(r), time.Now()); err != nil {
		s.log.Error("record a call's participant", "call", c.id, "role", r, "err", err)
	}
}
