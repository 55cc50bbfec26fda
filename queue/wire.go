package queue

import (
	"errors"
	"time"
)

// Bus topics of a Cluster.
const (
	callsTopic  = "queue.calls"  // Queue calls, answered by the leader
	eventsTopic = "queue.events" // Listener events, published by the leader
	leaderTopic = "queue.leader" // a leader handing over: campaign now
)

// Operations a callMsg asks the leader for.
const (
	opEnqueue      = "enqueue"
	opCancel       = "cancel"
	opAgentOnline  = "agent_online"
	opAgentOffline = "agent_offline"
	opSetReady     = "set_ready"
	opAccept       = "accept"
	opReject       = "reject"
	opCallEnded    = "call_ended"
	opFinishWrapUp = "finish_wrap_up"
	opAgentState   = "agent_state"
	opWaiting      = "waiting"
	opStats        = "stats"
	opCanServe     = "can_serve"
	opSync         = "sync" // changes nothing; waits for the leader's events
	opRejoin       = "rejoin"
	opAnswerTicket = "answer_ticket"
	opReadyAgents  = "ready_agents"
)

// changes reports whether op may change the queue.
func changes(op string) bool {
	switch op {
	case opAgentState, opWaiting, opStats, opCanServe, opSync, opReadyAgents:
		return false
	}
	return true
}

// callMsg is a Queue call forwarded to the leader.
type callMsg struct {
	Op        string        `json:"op"`
	Request   Request       `json:"request,omitzero"`
	Agent     Agent         `json:"agent,omitzero"`
	AgentID   string        `json:"agent_id,omitempty"`
	StationID string        `json:"station_id,omitempty"`
	RequestID string        `json:"request_id,omitempty"`
	Ready     bool          `json:"ready,omitempty"`
	Handled   time.Duration `json:"handled,omitempty"`
	Skill     string        `json:"skill,omitempty"`

	// opRejoin
	Agents   []AgentPresence `json:"agents,omitempty"`
	Requests []Request       `json:"requests,omitempty"`
}

// replyMsg is the leader's answer to a callMsg. Start and End bracket the
// event batches the leader published while it made the call.
type replyMsg struct {
	Start    mark       `json:"start"`
	End      mark       `json:"end"`
	Error    *wireError `json:"error,omitempty"`
	Position Position   `json:"position,omitzero"`
	Request  Request    `json:"request,omitzero"`
	State    AgentState `json:"state,omitempty"`
	Found    bool       `json:"found,omitempty"`
	Stats    Stats      `json:"stats,omitzero"`
	Ready    []Agent    `json:"ready,omitempty"`
}

// mark is a point in the leader's event stream: its term, and how many event
// batches it had published by then.
type mark struct {
	Term uint64 `json:"term"`
	Seq  uint64 `json:"seq"`
}

// reached reports whether m is at or past target.
func (m mark) reached(target mark) bool {
	return m.Term > target.Term || m.Term == target.Term && m.Seq >= target.Seq
}

// wireError carries a Queue error, with the sentinel it wrapped as a code.
type wireError struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

type errorCode struct {
	code string
	err  error
}

func errorCodes() []errorCode {
	return []errorCode{
		{"not_found", ErrNotFound}, {"not_offered", ErrNotOffered}, {"duplicate", ErrDuplicate},
		{"invalid_state", ErrInvalidState}, {"invalid_request", ErrInvalidRequest},
		{"unavailable", ErrUnavailable},
	}
}

func toWireError(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Message: err.Error()}
	for _, c := range errorCodes() {
		if errors.Is(err, c.err) {
			w.Code = c.code
			break
		}
	}
	return w
}

// remoteError is an error the leader returned; errors.Is finds its sentinel.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	e := &remoteError{msg: w.Message}
	for _, c := range errorCodes() {
		if c.code == w.Code {
			e.sentinel = c.err
		}
	}
	return e
}

// eventBatch is the Listener events of one leader step, published together.
type eventBatch struct {
	Term   uint64      `json:"term"`
	Seq    uint64      `json:"seq"`
	Events []wireEvent `json:"events,omitempty"`
}

func (b *eventBatch) mark() mark { return mark{Term: b.Term, Seq: b.Seq} }

// wireEvent is one Listener call.
type wireEvent struct {
	Kind        string        `json:"kind"`
	AgentID     string        `json:"agent_id,omitempty"`
	Request     Request       `json:"request,omitzero"`
	RingTimeout time.Duration `json:"ring_timeout,omitempty"`
	RequestID   string        `json:"request_id,omitempty"`
	Reason      string        `json:"reason,omitempty"`
	StationID   string        `json:"station_id,omitempty"`
	Position    Position      `json:"position,omitzero"`
	State       AgentState    `json:"state,omitempty"`
	Stats       Stats         `json:"stats,omitzero"`
}

func (k eventKind) String() string {
	switch k {
	case evOffered:
		return "offered"
	case evWithdrawn:
		return "withdrawn"
	case evPosition:
		return "position"
	case evAgentState:
		return "agent_state"
	case evStats:
		return "stats"
	case evTicketCalled:
		return "ticket_called"
	case evTicketEnded:
		return "ticket_ended"
	}
	return "unknown"
}

func toWireEvent(e *event) wireEvent {
	return wireEvent{
		Kind: e.kind.String(), AgentID: e.agentID, Request: e.request, RingTimeout: e.ringTimeout,
		RequestID: e.requestID, Reason: e.reason, StationID: e.stationID, Position: e.position,
		State: e.state, Stats: e.stats,
	}
}

// event returns the event, false for a kind this node does not know.
func (w *wireEvent) event() (event, bool) {
	e := event{
		agentID: w.AgentID, request: w.Request, ringTimeout: w.RingTimeout, requestID: w.RequestID,
		reason: w.Reason, stationID: w.StationID, position: w.Position, state: w.State, stats: w.Stats,
	}
	for k := evOffered; k <= evLast; k++ {
		if k.String() == w.Kind {
			e.kind = k
			return e, true
		}
	}
	return event{}, false
}
