package signaling

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cloudwindow/identity"
	"cloudwindow/queue"
)

// In a cluster a call's room lives on the node where the agent accepted it,
// and the station may be signed in to another node. The station's node then
// forwards the station's call messages to the room's node (a bus request to
// that node's topic), and the room's node sends messages for the station back
// through a broadcast that the station's node delivers. Media flows straight
// between the station and the room's node: once a call runs, its liveness
// does not depend on the bus.

const deliverTopic = "signaling.deliver"

func nodeTopic(node string) string { return "signaling.node." + node }

// delivery is a message for an account signed in to some node.
type delivery struct {
	Account string  `json:"account"`
	From    string  `json:"from"` // the sending node
	Msg     Message `json:"msg"`
	// WrapUp, instead of a message, names the call the account, an agent
	// who was in it from this node, is to wrap up.
	WrapUp string `json:"wrap_up,omitempty"`
}

// forward is a station's message for the node that holds its call.
type forward struct {
	Account string `json:"account"`
	CallID  string `json:"call_id"`
	// "message", "expired" (the station did not come back), "resumed", or
	// "handover" (the call's agent resumed on the sending node, which takes
	// the call over).
	Op  string  `json:"op"`
	Msg Message `json:"msg"`
	// Watcher is set for a supervisor watching the call from another node
	// (see monitor_cluster.go); Op is then one of the opWatch operations.
	Watcher *identity.Identity `json:"watcher,omitempty"`
	// Joiner is set for an agent signed in to another node who accepted
	// the call's transfer or consultation (see agents_cluster.go).
	Joiner *identity.Identity `json:"joiner,omitempty"`
}

// awayCall is a call of a local session (a station, or an agent who took
// a transfer or consultation) whose room is on another node.
type awayCall struct {
	id      string
	node    string
	started json.RawMessage // the call.started data, for a resume's welcome
}

// forwardedTypes are what a station in a call on another node sends there.
var forwardedTypes = map[string]bool{
	TypeRTCOffer: true, TypeRTCAnswer: true, TypeRTCCandidate: true, TypeChatSend: true, TypeCallHangup: true,
	TypeGuestLeave: true, // a guest's, whose call is on another node
	// A helper signing in during the call is recorded by the call's node.
	TypeHelperSignIn: true, TypeHelperSignOut: true,
	// An agent's, who took a transfer or consultation of a call on another
	// node (their role lets them send these; a station's does not).
	TypeCallTransfer: true, TypeCallConsult: true, TypeCallConsultEnd: true,
}

func (s *Server) startCluster() {
	if s.deps.Bus == nil {
		return
	}
	s.unsubscribe = s.deps.Bus.Subscribe(deliverTopic, s.onDelivery)
	s.unsubEnded = s.deps.Bus.Subscribe(sessionsEndedTopic, s.onSessionsEnded)
	s.unsubMoved = s.deps.Bus.Subscribe(sessionMovedTopic, s.onSessionMoved)
	s.stopHandler = s.deps.Bus.Handle(nodeTopic(s.cfg.Node), s.onForward)
}

func (s *Server) stopCluster() {
	if s.unsubscribe != nil {
		s.unsubscribe()
		s.unsubEnded()
		s.unsubMoved()
		s.stopHandler()
	}
}

// pushTo sends a message to an account wherever it is signed in.
func (s *Server) pushTo(accountID, typ string, data any) {
	if sess := s.session(accountID); sess != nil {
		sess.push(typ, data)
		return
	}
	if s.deps.Bus == nil {
		return
	}
	b, _ := json.Marshal(data)
	s.publish(delivery{Account: accountID, From: s.cfg.Node, Msg: Message{Type: typ, Data: b}})
}

func (s *Server) publish(d delivery) {
	b, _ := json.Marshal(d)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.deps.Bus.Publish(ctx, deliverTopic, b); err != nil {
		s.log.Warn("deliver to another node", "type", d.Msg.Type, "err", err)
	}
}

// onDelivery hands a message from another node to a local session, keeping
// track of the station's call that runs over there.
func (s *Server) onDelivery(b []byte) {
	var d delivery
	if json.Unmarshal(b, &d) != nil || d.From == s.cfg.Node {
		return
	}
	sess := s.session(d.Account)
	if sess == nil {
		return
	}
	if d.WrapUp != "" {
		sess.mu.Lock()
		sess.lastCallID = d.WrapUp
		sess.mu.Unlock()
		return
	}
	switch d.Msg.Type {
	case TypeCallStarted:
		var ref callRef
		json.Unmarshal(d.Msg.Data, &ref)
		sess.setAway(&awayCall{id: ref.CallID, node: d.From, started: d.Msg.Data})
		sess.setWaitingRequest("")
		s.dropStanding(sess, standbyNotAdopted) // the call's media is on its node
	case TypeCallEnded:
		sess.setAway(nil)
		var ref callRef
		json.Unmarshal(d.Msg.Data, &ref)
		sess.setWatch(ref.CallID, "")
		if sess.ident.Role == identity.RoleStation {
			s.requestGone(sess, ref.CallID) // an accepted request whose call failed
		}
	}
	sess.send(d.Msg)
}

// remoteStation stands for a station signed in to another node: what the
// call sends it goes out as deliveries.
func (s *Server) remoteStation(req queue.Request) *session {
	return s.remoteSession(identity.Identity{AccountID: req.StationID, DisplayName: req.StationName, Role: identity.RoleStation, Island: req.Island})
}

// remoteSession stands for an account signed in to another node.
func (s *Server) remoteSession(ident identity.Identity) *session {
	sess := &session{ident: ident}
	sess.checkedAt.Store(time.Now().Add(24 * time.Hour).UnixNano()) // its own node checks the account
	sess.remote = func(m Message) { s.publish(delivery{Account: ident.AccountID, From: s.cfg.Node, Msg: m}) }
	return sess
}

// forwardToCall sends a station's message to the node that holds its call.
func (s *Server) forwardToCall(ctx context.Context, sess *session, away *awayCall, op string, m Message) error {
	if alive, _ := s.deps.Nodes.Alive(ctx, away.node); !alive {
		return protoErr(CodeInvalidState, "the call is moving to another server; wait a moment")
	}
	b, _ := json.Marshal(forward{Account: sess.ident.AccountID, CallID: away.id, Op: op, Msg: m})
	if _, err := s.deps.Bus.Request(ctx, nodeTopic(away.node), b); err != nil {
		return protoErr(CodeInternal, "the call's server cannot be reached; try again")
	}
	return nil
}

// onForward serves a station message forwarded by the station's node.
func (s *Server) onForward(ctx context.Context, b []byte) ([]byte, error) {
	var f forward
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("decode forwarded message: %w", err)
	}
	if f.Op == "handover" {
		return []byte("{}"), s.giveUpCall(f.CallID, f.Account)
	}
	c := s.liveCall(f.CallID)
	if c != nil && f.Watcher != nil {
		return s.onWatchForward(c, f)
	}
	if strings.HasPrefix(f.Account, guestAccount) {
		return s.onGuestForward(ctx, c, f)
	}
	if strings.HasPrefix(f.Op, "agent_") || (c != nil && c.remoteMember(f.Account) != nil) {
		return s.onAgentForward(ctx, c, f)
	}
	var station *session
	if c != nil {
		station = c.resident()
	}
	if station != nil && station.ident.AccountID == f.Account && station.remote == nil {
		// The station's session moved to the sending node; the notice
		// (onSessionMoved) may still be on its way.
		remote := s.remoteSession(station.ident)
		if c.rebind(f.Account, remote) {
			remote.setCall(c)
			station = remote
		}
	}
	if station == nil || station.ident.AccountID != f.Account || station.remote == nil {
		return nil, fmt.Errorf("no call %s of %s on this node", f.CallID, f.Account)
	}
	switch f.Op {
	case "expired":
		s.endCall(c, "disconnected", string(partyStation))
	case "resumed":
		if peer := c.peerOf(station); peer != nil {
			peer.ResendOffer()
		}
	default:
		s.dispatch(station, f.Msg)
	}
	return []byte("{}"), nil
}
