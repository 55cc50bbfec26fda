package queue

import (
	"context"
	"errors"
	"time"
)

// Request is a station's call request for one service item.
type Request struct {
	ID            string // set by the caller (uuid)
	StationID     string
	StationName   string
	Region        string // the station's street or town
	Island        bool
	AudioOnly     bool          // the station calls without a camera
	LinkRTT       time.Duration // the station's signaling round trip when it asked, 0 if unknown
	ItemID        string
	ItemName      string
	SkillGroup    string
	Green         bool
	GreenReason   string // "elderly" | "disabled" | "pregnant" | ""
	AppointmentID string
	AppointmentAt time.Time // zero if none
	EnqueuedAt    time.Time // set by the queue
	// Ticket is the station's ticket number (取号, e.g. "A003"), empty for a
	// plain request. A station may wait with many tickets, or one plain
	// request; see tickets.go.
	Ticket string
	// RequeuedAt is when a missed ticket went back into the queue (it does so
	// once); zero otherwise. The ticket keeps its EnqueuedAt.
	RequeuedAt time.Time
	// Transfer marks a running call an agent sent on to another skill
	// group: the resident has waited already, so it is served first.
	Transfer bool
	// Consult marks a running call's request for a consultation: the agent
	// who takes it joins the call next to the one handling it.
	Consult bool
	// ToAgent, when set, is the one agent (account id) a transfer to a
	// named colleague may be offered to; nobody else is offered it.
	ToAgent string
}

// Green-channel reasons accepted in Request.GreenReason.
const (
	GreenElderly  = "elderly"
	GreenDisabled = "disabled"
	GreenPregnant = "pregnant"
)

// AgentState is where an agent is in the call cycle.
type AgentState string

// Agent states.
const (
	Offline  AgentState = "offline"
	Ready    AgentState = "ready"
	NotReady AgentState = "not_ready"
	Busy     AgentState = "busy"
	WrapUp   AgentState = "wrap_up"
)

// Agent is a center agent as the queue sees them.
type Agent struct {
	ID, Name   string
	Skills     []string // skill groups this agent handles
	Generalist bool     // takes any item when no skilled agent is ready
}

// Position is a waiting request's place in the queue.
type Position struct {
	RequestID     string
	Position      int // 1-based
	EstimatedWait time.Duration
}

// Stats is the agents' wallboard summary.
type Stats struct {
	Waiting, GreenWaiting int
	LongestWait           time.Duration
	Agents                map[AgentState]int // every state is present, zero counts included
}

// Reasons given in Listener.OfferWithdrawn.
const (
	ReasonTimeout       = "timeout"
	ReasonCancelled     = "cancelled"
	ReasonAgentOffline  = "agent_offline"
	ReasonAgentNotReady = "agent_not_ready"
)

// Listener receives queue events; signaling implements it and forwards the
// events to WebSocket clients. Calls come one at a time, in the order the
// changes happened, and never while the queue is locked.
type Listener interface {
	Offered(agentID string, req Request, ringTimeout time.Duration)
	// OfferWithdrawn tells the agent their ringing offer is gone. It is not sent
	// for the agent's own Accept or Reject.
	OfferWithdrawn(agentID, requestID, reason string)
	PositionChanged(stationID string, pos Position)
	AgentStateChanged(agentID string, state AgentState)
	StatsChanged(s Stats)
}

// Errors returned by Queue methods, wrapped with context; test with errors.Is.
var (
	ErrNotFound       = errors.New("not found")
	ErrNotOffered     = errors.New("request is not offered to this agent")
	ErrDuplicate      = errors.New("duplicate")
	ErrInvalidState   = errors.New("not allowed in the agent's current state")
	ErrInvalidRequest = errors.New("invalid request")
	ErrClosed         = errors.New("queue closed")
	// ErrUnavailable: the cluster's queue cannot be reached now (the bus is
	// down or no node leads); the call changed nothing and may be retried.
	ErrUnavailable = errors.New("queue unavailable")
)

// Queue orders call requests and routes them to agents. The local implementation
// keeps everything in memory; a cluster one keeps it in Redis.
type Queue interface {
	// Enqueue adds a station's request and returns its position, which is also
	// pushed to the listener. ErrDuplicate if the station already waits.
	Enqueue(ctx context.Context, r Request) (Position, error)
	// Cancel removes a waiting request; only the request's own station may.
	Cancel(ctx context.Context, stationID, requestID string) error
	// AgentOnline brings an agent online, NOT READY. For an agent already online it
	// updates name and skills and keeps the state (a second console tab).
	AgentOnline(ctx context.Context, a Agent) error
	AgentOffline(ctx context.Context, agentID string) error
	// SetReady switches between ready and not ready; not while busy. From wrap-up
	// it ends the wrap-up.
	SetReady(ctx context.Context, agentID string, ready bool) error
	// Accept takes the request offered to the agent: the agent goes busy and the
	// request leaves the queue. ErrNotOffered if it is not offered to them.
	Accept(ctx context.Context, agentID, requestID string) (Request, error)
	Reject(ctx context.Context, agentID, requestID string) error
	// CallEnded moves a busy agent to wrap-up and feeds the handle time into the
	// wait estimate.
	CallEnded(ctx context.Context, agentID string, handled time.Duration) error
	FinishWrapUp(ctx context.Context, agentID string) error
	// ReadyAgents lists the agents ready to take a call now, by name and
	// skills, for an agent who picks a colleague to transfer to.
	ReadyAgents(ctx context.Context) ([]Agent, error)
	// AgentState is Offline for an agent who went offline; ErrNotFound for one
	// never seen.
	AgentState(ctx context.Context, agentID string) (AgentState, error)
	// Waiting returns the station's own waiting request, if any.
	Waiting(ctx context.Context, stationID string) (Request, Position, bool)
	Stats(ctx context.Context) Stats
	// CanServe reports whether an online agent, in any state, could take an
	// item of skillGroup (by skill, or as a generalist): if none could, a
	// request would wait for nobody.
	CanServe(ctx context.Context, skillGroup string) (bool, error)
	// Rejoin tells the queue again of agents and waiting requests it may
	// have lost (a cluster queue restarted empty): agents it holds as
	// offline or not at all come back in the given state, and requests of
	// stations not waiting come back with their own EnqueuedAt, in order
	// among the others. What the queue already knows is left as it is.
	Rejoin(ctx context.Context, agents []AgentPresence, requests []Request) error
	// AnswerTicket tells the queue the resident holding a called ticket came
	// to the kiosk: the offer now rings at the agent. Only the ticket's own
	// station may; ErrInvalidState if the ticket is not being called.
	AnswerTicket(ctx context.Context, stationID, requestID string) error
	Close() error
}

// AgentPresence is a signed-in agent and the state they are in, as their
// node tells it in Rejoin.
type AgentPresence struct {
	Agent Agent      `json:"agent"`
	State AgentState `json:"state"`
	// Station is the station whose call a busy agent is in, so that the
	// station's other tickets wait for it.
	Station string `json:"station,omitempty"`
}

// Rejoiner is a Listener that can tell a restarted queue again who is
// signed in on its node (by calling Rejoin). A Cluster calls it whenever a
// new leader has taken over, until it succeeds.
type Rejoiner interface {
	Rejoin(ctx context.Context) error
}
