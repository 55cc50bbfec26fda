package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/queue"
)

// In a cluster the agent who accepts a transfer or a consultation may be
// signed in to another node than the call's. Their node asks the call's
// node to join a session standing for them (opAgentTake), as a guest's
// node claims an invitation (guests_cluster.go); from then on the agent's
// call is an away call: their rtc.*, chat, hang-up and consultation
// messages are forwarded there, and what the call sends them comes back as
// deliveries. Media flows straight between the agent and the call's node.
// A named colleague rejecting a transfer on another node tells the call's
// node (opAgentRejected), which brings the call back at once.

const (
	opAgentTake     = "agent_take"
	opAgentRejected = "agent_rejected"
)

// agentTakeReply is the call's node's answer to opAgentTake.
type agentTakeReply struct {
	Started json.RawMessage `json:"started,omitempty"`
	Error   *ProtocolError  `json:"error,omitempty"`
}

// callNode returns the node running call id, "" if it runs here or not at
// all.
func (s *Server) callNode(ctx context.Context, id string) (string, error) {
	if s.deps.Bus == nil || s.liveCall(id) != nil {
		return "", nil
	}
	rec, err := s.deps.Calls.Get(ctx, id)
	switch {
	case errors.Is(err, calls.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("look up call %s: %w", id, err)
	case !rec.EndedAt.IsZero() || rec.Node == s.cfg.Node:
		return "", nil
	}
	return rec.Node, nil
}

// joinAway joins sess, who accepted the transfer or consultation req, to
// its call on node; it returns the call.started data.
func (s *Server) joinAway(ctx context.Context, sess *session, node string, req queue.Request) (json.RawMessage, error) {
	ident := sess.ident
	b, _ := json.Marshal(forward{Account: ident.AccountID, CallID: req.ID, Op: opAgentTake,
		Msg: Message{Data: mustJSON(req)}, Joiner: &ident})
	out, err := s.deps.Bus.Request(ctx, nodeTopic(node), b)
	if err != nil {
		return nil, protoErr(CodeInternal, "the call's server cannot be reached; try again")
	}
	var rep agentTakeReply
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, fmt.Errorf("decode join of call %s from %s: %w", req.ID, node, err)
	}
	if rep.Error != nil {
		return nil, rep.Error
	}
	sess.setAway(&awayCall{id: req.ID, node: node, started: rep.Started})
	s.dropStanding(sess, standbyNotAdopted) // the call's media is on its node
	return rep.Started, nil
}

// rejectedAway tells the call's node that the named colleague sess
// rejected its transfer.
func (s *Server) rejectedAway(ctx context.Context, sess *session, callID string) {
	node, err := s.callNode(ctx, callID)
	if err != nil || node == "" {
		return
	}
	b, _ := json.Marshal(forward{Account: sess.ident.AccountID, CallID: callID, Op: opAgentRejected})
	if _, err := s.deps.Bus.Request(ctx, nodeTopic(node), b); err != nil {
		s.log.Warn("tell the call's node of a rejected transfer", "call", callID, "node", node, "err", err)
	}
}

// onAgentForward serves what an agent's node sends the call's node: the
// join of an agent who accepted, a rejection, or the joined agent's
// messages.
func (s *Server) onAgentForward(ctx context.Context, c *call, f forward) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("no call %s on this node", f.CallID)
	}
	switch f.Op {
	case opAgentTake:
		return json.Marshal(s.takeForAway(ctx, c, f))
	case opAgentRejected:
		if c.transferringTo() == f.Account {
			s.transferBack(c, "rejected")
		}
		return []byte("{}"), nil
	}
	member := c.remoteMember(f.Account)
	if member == nil {
		return nil, fmt.Errorf("no participant %s of call %s from another node", f.Account, c.id)
	}
	switch f.Op {
	case "expired":
		s.leaveCall(c, member, "disconnected")
	case "resumed":
		if peer := c.peerOf(member); peer != nil {
			peer.ResendOffer()
		}
	default:
		s.dispatch(member, f.Msg)
	}
	return []byte("{}"), nil
}

// takeForAway joins an agent signed in to another node to the transfer or
// consultation they accepted there.
func (s *Server) takeForAway(ctx context.Context, c *call, f forward) agentTakeReply {
	var req queue.Request
	if f.Joiner == nil || f.Joiner.Role != identity.RoleAgent || f.Joiner.AccountID != f.Account ||
		json.Unmarshal(f.Msg.Data, &req) != nil || req.ID != c.id || !req.Transfer {
		return agentTakeReply{Error: protoErr(CodeForbidden, "only an agent who accepted call %s may join it", c.id)}
	}
	take := s.takeTransfer
	if req.Consult {
		take = s.takeConsult
	}
	agent := s.remoteSession(*f.Joiner)
	if _, err := take(ctx, agent, req); err != nil {
		return agentTakeReply{Error: asProtocolError(err)}
	}
	if code := c.unrecordedCode(); code != "" {
		s.announceRecording(c, false, code)
	}
	started, _ := json.Marshal(c.startedFor(agent))
	return agentTakeReply{Started: started}
}

// remoteMember returns the session standing for account in c, made for
// someone signed in to another node who is not the resident.
func (c *call) remoteMember(account string) *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.parts {
		if p.sess.remote != nil && p.sess.ident.AccountID == account && p.role != roleResident {
			return p.sess
		}
	}
	return nil
}
