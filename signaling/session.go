package signaling

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"cloudwindow/identity"
	"cloudwindow/queue"
)

// session is one signed-in account's presence on this node. It outlives
// its WebSocket by the resume grace period, so a dropped island link or a
// reloaded page comes back to the same queue place or call.
type session struct {
	id          string
	resumeToken string
	ident       identity.Identity // ident.Session is the first socket's; see loginSession
	checkedAt   atomic.Int64      // unix ns of the last check that the account is still enabled

	mu          sync.Mutex
	conn        *conn         // nil while detached
	grace       *time.Timer   // runs while detached
	call        *call         // the call this session is in
	away        *awayCall     // a call (a station's, or a joined agent's) whose room is on another node
	remote      func(Message) // set for a station signed in to another node: how to reach it
	agentReason string        // why an agent is not ready: "break" or "busy"
	lastCallID  string        // an agent's ended call awaiting wrap-up
	login       string        // the login session of the latest socket's token

	request    queue.Request     // a station's waiting request, with when it was enqueued
	agentState queue.AgentState  // an agent's state as the queue last told it
	watching   map[string]string // a supervisor's watched calls on other nodes: node by call id
	standby    *standing         // the media connection made ahead of a call, if any
	ringing    string            // an agent's ringing offer: the station's account id

	// changed, if set, is told when what a resume on another node needs
	// changes (its socket, its call): the record kept for it is saved again.
	changed func()
	// movedAway is set when the session was resumed on another node: this
	// node forgets it without ending anything, and keeps no record of it.
	movedAway atomic.Bool
	// linkMarked and linkPoor are set for a station marked low-bandwidth
	// and for one whose last pre-call check found its link poor (thinLink).
	linkMarked, linkPoor atomic.Bool
}

// thinLink tells whether the session's media peers start their downlink
// estimate low (media.Peer.ExpectThinDownlink).
func (s *session) thinLink() bool { return s.linkMarked.Load() || s.linkPoor.Load() }

// touch tells changed, outside s.mu.
func (s *session) touch() {
	if s.changed != nil {
		s.changed()
	}
}

// loginSession is the login session whose token opened the current socket.
func (s *session) loginSession() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.login
}

// send writes m to the session's current socket, if it has one. Messages to
// a detached session are dropped: the welcome of a resume carries the state.
func (s *session) send(m Message) { s.sendLatest(m, "") }

// pushLatest pushes a message that supersedes any earlier one with the same
// key still waiting to be written (see conn.sendLatest).
func (s *session) pushLatest(typ, key string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte("{}")
	}
	s.sendLatest(Message{Type: typ, Data: b}, key)
}

func (s *session) sendLatest(m Message, key string) {
	if s.remote != nil {
		s.remote(m)
		return
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.sendLatest(m, key)
	}
}

func (s *session) sendError(re string, pe *ProtocolError) {
	data, _ := json.Marshal(pe)
	s.send(Message{Type: TypeError, Re: re, Data: data})
}

func (s *session) awayCall() *awayCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.away
}

func (s *session) setAway(a *awayCall) {
	s.mu.Lock()
	s.away = a
	s.mu.Unlock()
	s.touch()
}

func (s *session) push(typ string, data any) { s.reply("", typ, data) }

func (s *session) reply(re, typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte("{}")
	}
	s.send(Message{Type: typ, Re: re, Data: b})
}

func (s *session) currentCall() *call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.call
}

func (s *session) setCall(c *call) {
	s.mu.Lock()
	s.call = c
	s.mu.Unlock()
	s.touch()
}

// callByID returns the session's call if its id is id.
func (s *session) callByID(id string) (*call, error) {
	c := s.currentCall()
	if c == nil || c.id != id {
		return nil, protoErr(CodeInvalidState, "you are not in call %s", id)
	}
	return c, nil
}

// linkRTT is the last measured round trip of the session's socket, 0 if
// unknown (detached, or not measured yet).
func (s *session) linkRTT() time.Duration {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return 0
	}
	return c.roundTrip()
}

func (s *session) waitingRequest() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.request.ID
}

// setWaitingRequest with "" forgets the station's waiting request.
func (s *session) setWaitingRequest(id string) {
	s.mu.Lock()
	s.request = queue.Request{ID: id}
	s.mu.Unlock()
}

// setWaiting remembers the station's waiting request, to tell a queue that
// lost it (see Server.Rejoin).
func (s *session) setWaiting(req queue.Request) {
	s.mu.Lock()
	s.request = req
	s.mu.Unlock()
}

// attach makes c the session's socket, returning the one it replaces.
func (s *session) attach(c *conn, login string) (old *conn) {
	defer s.touch()
	s.mu.Lock()
	defer s.mu.Unlock()
	old, s.conn = s.conn, c
	if c != nil {
		s.login = login
	}
	if s.grace != nil {
		s.grace.Stop()
		s.grace = nil
	}
	return old
}

// detach forgets c if it is still the session's socket and starts the grace
// timer; expire runs unless a new socket attaches in time.
func (s *session) detach(c *conn, grace time.Duration, expire func()) {
	s.mu.Lock()
	if s.conn != c {
		s.mu.Unlock()
		return
	}
	s.conn = nil
	s.grace = time.AfterFunc(grace, expire)
	s.mu.Unlock()
	s.touch()
}

// stillDetached reports whether no socket came back (checked by expire).
func (s *session) stillDetached() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn == nil
}

// setCallIf sets the session's call to to if it is from now.
func (s *session) setCallIf(from, to *call) {
	s.mu.Lock()
	if s.call == from {
		s.call = to
	}
	s.mu.Unlock()
	s.touch()
}
