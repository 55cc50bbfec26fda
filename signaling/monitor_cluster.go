package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"cloudwindow/calls"
)

// In a cluster a supervisor may watch a call whose room is on another node.
// Their node asks the room's node (over the bus, like a station's call
// messages) to join a watcher standing for them; what the room sends the
// watcher comes back as deliveries, and the supervisor's answer and ICE
// candidates are forwarded there. Media flows straight between the
// supervisor and the room's node.

// Forward operations of a watching supervisor.
const (
	opWatchStart   = "monitor_start"
	opWatchStop    = "monitor_stop"
	opWatchMessage = "monitor_message"
)

// watchForwarded are the messages of a supervisor that go to the node of
// a call they watch there: media, and stepping in (whisper, barge, take
// over), after which they offer their microphone and may talk or hang up.
var watchForwarded = map[string]bool{
	TypeRTCAnswer: true, TypeRTCCandidate: true, TypeRTCOffer: true,
	TypeCallSupervise: true, TypeChatSend: true, TypeCallHangup: true,
}

// watchReply is the room's node's answer to opWatchStart.
type watchReply struct {
	Started json.RawMessage `json:"started,omitempty"`
	Error   *ProtocolError  `json:"error,omitempty"`
}

// watchAway starts watching a call running on another node.
func (s *Server) watchAway(ctx context.Context, sess *session, m Message, callID string) error {
	if s.deps.Bus == nil {
		return protoErr(CodeNotFound, "call %s is not running", callID)
	}
	rec, err := s.deps.Calls.Get(ctx, callID)
	switch {
	case errors.Is(err, calls.ErrNotFound):
		return protoErr(CodeNotFound, "call %s is not running", callID)
	case err != nil:
		return fmt.Errorf("look up call %s: %w", callID, err)
	case !rec.EndedAt.IsZero() || rec.Node == "" || rec.Node == s.cfg.Node:
		return protoErr(CodeNotFound, "call %s is not running", callID)
	}
	if sess.watchNode(callID) != "" {
		return protoErr(CodeInvalidState, "you are already watching call %s", callID)
	}
	b, err := s.forwardWatch(ctx, sess, rec.Node, callID, opWatchStart, Message{})
	if err != nil {
		return err
	}
	var rep watchReply
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("decode watch reply from %s: %w", rec.Node, err)
	}
	if rep.Error != nil {
		return rep.Error
	}
	sess.setWatch(callID, rec.Node)
	sess.send(Message{Type: TypeMonitorStarted, Re: m.ID, Data: rep.Started})
	return nil
}

// stopWatchAway ends a watch on another node; a node that can't be
// reached ends it when the call ends.
func (s *Server) stopWatchAway(ctx context.Context, sess *session, callID string) {
	node := sess.watchNode(callID)
	sess.setWatch(callID, "")
	if node == "" {
		return
	}
	if _, err := s.forwardWatch(ctx, sess, node, callID, opWatchStop, Message{}); err != nil {
		s.log.Warn("stop watching a call on another node", "call", callID, "node", node, "err", err)
	}
}

func (s *Server) forwardWatch(ctx context.Context, sess *session, node, callID, op string, m Message) ([]byte, error) {
	ident := sess.ident
	b, _ := json.Marshal(forward{Account: ident.AccountID, CallID: callID, Op: op, Msg: m, Watcher: &ident})
	out, err := s.deps.Bus.Request(ctx, nodeTopic(node), b)
	if err != nil {
		return nil, protoErr(CodeInternal, "the call's server cannot be reached; try again")
	}
	return out, nil
}

// onWatchForward serves a watching supervisor's request from their node.
func (s *Server) onWatchForward(c *call, f forward) ([]byte, error) {
	if !hasRole(f.Watcher.Role, overseers) || f.Watcher.AccountID != f.Account {
		return nil, fmt.Errorf("watch of call %s by %s refused: role %s", f.CallID, f.Account, f.Watcher.Role)
	}
	watcher := c.remoteMember(f.Account)
	switch f.Op {
	case opWatchStart:
		if watcher == nil {
			watcher = s.remoteSession(*f.Watcher)
		}
		started, err := c.watch(watcher)
		if err != nil {
			return json.Marshal(watchReply{Error: asProtocolError(err)})
		}
		b, _ := json.Marshal(started)
		return json.Marshal(watchReply{Started: b})
	case opWatchStop:
		if watcher != nil {
			s.leaveCall(c, watcher, "monitor_stop")
		}
	case opWatchMessage:
		if watcher == nil {
			return nil, fmt.Errorf("%s does not watch call %s here", f.Account, f.CallID)
		}
		s.dispatch(watcher, f.Msg)
	}
	return []byte("{}"), nil
}

// watchTarget returns the call a supervisor's message is about and its
// node, if the message must be forwarded there.
func (s *Server) watchTarget(sess *session, m Message) (node, callID string) {
	if !watchForwarded[m.Type] || !hasRole(sess.ident.Role, overseers) || !sess.watchesAway() {
		return "", ""
	}
	var ref callRef
	if json.Unmarshal(m.Data, &ref) != nil {
		return "", ""
	}
	return sess.watchNode(ref.CallID), ref.CallID
}

func (s *session) watchNode(callID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.watching[callID]
}

func (s *session) watchesAway() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.watching) > 0
}

// setWatch records a watch on node, or forgets it when node is "".
func (s *session) setWatch(callID, node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if node == "" {
		delete(s.watching, callID)
		return
	}
	if s.watching == nil {
		s.watching = map[string]string{}
	}
	s.watching[callID] = node
}

func (s *session) watchedAway() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.watching))
	for id := range s.watching {
		ids = append(ids, id)
	}
	return ids
}
