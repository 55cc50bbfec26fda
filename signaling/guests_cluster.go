package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloudwindow/calls"
	"cloudwindow/identity"
)

// In a cluster a guest's socket may reach any node, and the call is on
// one. A node that does not know the invitation finds the call's node from
// the call id at the end of the secret (the durable record says where it
// runs) and asks it to claim the invitation (opGuestClaim). That node then
// holds a session standing for the guest, whose messages go out as
// deliveries; the guest's node forwards the guest's rtc.* and guest.leave
// there, as it does a station's whose call runs elsewhere. Media flows
// straight between the guest and the call's node.

const opGuestClaim = "guest_claim"

// guestClaimReply is the call's node's answer to opGuestClaim.
type guestClaimReply struct {
	Identity identity.Identity `json:"identity"`
	Status   guestStatusData   `json:"status"`
	Error    *ProtocolError    `json:"error,omitempty"`
}

// awayGuest is what a guest's node keeps of a claim made on the call's
// node, until the guest's session is attached.
type awayGuest struct {
	node   string
	status guestStatusData
}

// claimAway claims an invitation of a call running on another node.
func (s *Server) claimAway(ctx context.Context, secret string) (identity.Identity, error) {
	refused := protoErr(CodeInvalidToken, "这个邀请链接无效，或通话已经结束")
	_, callID, ok := strings.Cut(secret, ".")
	if !ok || s.deps.Bus == nil {
		return identity.Identity{}, refused
	}
	rec, err := s.deps.Calls.Get(ctx, callID)
	switch {
	case errors.Is(err, calls.ErrNotFound):
		return identity.Identity{}, refused
	case err != nil:
		return identity.Identity{}, fmt.Errorf("look up call %s: %w", callID, err)
	case !rec.EndedAt.IsZero() || rec.Node == "" || rec.Node == s.cfg.Node:
		return identity.Identity{}, refused
	}
	b, _ := json.Marshal(forward{Account: guestAccountOf(secret), CallID: callID, Op: opGuestClaim,
		Msg: Message{Type: TypeAuth, Data: mustJSON(map[string]string{"invitation": secret, "node": s.cfg.Node})}})
	out, err := s.deps.Bus.Request(ctx, nodeTopic(rec.Node), b)
	if err != nil {
		return identity.Identity{}, protoErr(CodeInternal, "the call's server cannot be reached; try again")
	}
	var rep guestClaimReply
	if err := json.Unmarshal(out, &rep); err != nil {
		return identity.Identity{}, fmt.Errorf("decode guest claim from %s: %w", rec.Node, err)
	}
	if rep.Error != nil {
		return identity.Identity{}, rep.Error
	}
	s.guests.noteAway(rep.Identity.AccountID, awayGuest{node: rec.Node, status: rep.Status})
	return rep.Identity, nil
}

// arrivedAway starts the session of a guest whose call is on another node:
// their messages go there, and they are told they wait; false if the guest's
// call is here.
func (s *Server) arrivedAway(sess *session) bool {
	g, ok := s.guests.takeAway(sess.ident.AccountID)
	if !ok {
		return false
	}
	sess.setAway(&awayCall{id: g.status.CallID, node: g.node})
	sess.push(TypeGuestStatus, g.status)
	return true
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// onGuestForward serves what a guest's node sends the call's node.
func (s *Server) onGuestForward(ctx context.Context, c *call, f forward) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("no call %s on this node", f.CallID)
	}
	if f.Op == opGuestClaim {
		return json.Marshal(s.claimForAway(ctx, c, f))
	}
	inv, ok := s.guests.byAccount(f.Account)
	if !ok || inv.guest == nil || inv.guest.remote == nil || inv.callID != c.id {
		return nil, fmt.Errorf("no guest %s in call %s on this node", f.Account, c.id)
	}
	switch f.Op {
	case "expired":
		s.leaveCall(c, inv.guest, "disconnected")
		s.guestGone(inv.guest)
	case "resumed":
		if peer := c.peerOf(inv.guest); peer != nil {
			peer.ResendOffer()
		}
	default:
		s.dispatch(inv.guest, f.Msg)
	}
	return []byte("{}"), nil
}

// claimForAway claims an invitation for a guest signed in to another node
// and asks the resident, as guestArrived does for a local guest.
func (s *Server) claimForAway(ctx context.Context, c *call, f forward) guestClaimReply {
	var d struct{ Invitation, Node string }
	json.Unmarshal(f.Msg.Data, &d)
	inv, err := s.guests.claim(d.Invitation, time.Now())
	if err != nil {
		return guestClaimReply{Error: asProtocolError(err)}
	}
	if inv.callID != c.id {
		return guestClaimReply{Error: protoErr(CodeInvalidToken, "这个邀请链接无效")}
	}
	guest := s.remoteSession(inv.identity())
	inv, _ = s.guests.attach(inv.id, guest)
	s.audit(ctx, guest.ident, "guest.arrive", "call", c.id, inv.kind+" via "+d.Node)
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_waiting", Actor: inv.name, Detail: inv.kind})
	inv.guest = nil // the guest's node tells them, once their session is there
	s.tellGuestStatus(c, inv)
	return guestClaimReply{Identity: inv.identity(), Status: statusOf(inv)}
}
