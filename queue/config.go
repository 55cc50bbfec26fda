package queue

import (
	"log/slog"
	"time"
)

// Config tunes a queue; zero fields take the defaults.
type Config struct {
	RingTimeout   time.Duration // how long an offer rings before moving on; default 20 s
	WrapUpTimeout time.Duration // how long wrap-up lasts unless finished earlier; default 60 s
	// TicketAnswerTimeout is how long a called ticket waits for its resident
	// to answer at the kiosk; default 60 s.
	TicketAnswerTimeout time.Duration
	Clock               Clock // default: the wall clock

	// HandleTimeSamples is how many recent calls the handle-time average covers;
	// default 20.
	HandleTimeSamples int
	// DefaultHandleTime stands in for the average until a call has ended;
	// default 5 min.
	DefaultHandleTime time.Duration
	Logger            *slog.Logger // nil: logs nowhere

	// LeaderTTL is how long a Cluster leader's lock lasts unless renewed: a
	// dead leader's successor takes over within about 4/3 of it. Default
	// 3 s, so that a failover takes at most about 4 s.
	LeaderTTL time.Duration
	// CallTimeout bounds a Cluster call forwarded to the leader when the
	// caller's context allows longer; it should outlast a failover.
	// Default 10 s.
	CallTimeout time.Duration
}

// Defaults, used for zero Config fields.
const (
	DefaultRingTimeout       = 20 * time.Second
	DefaultWrapUpTimeout     = 60 * time.Second
	DefaultTicketAnswer      = 60 * time.Second
	DefaultHandleTimeSamples = 20
	DefaultHandleTime        = 5 * time.Minute
	DefaultLeaderTTL         = 3 * time.Second
	DefaultCallTimeout       = 10 * time.Second
)

func (c Config) withDefaults() Config {
	if c.RingTimeout <= 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.WrapUpTimeout <= 0 {
		c.WrapUpTimeout = DefaultWrapUpTimeout
	}
	if c.TicketAnswerTimeout <= 0 {
		c.TicketAnswerTimeout = DefaultTicketAnswer
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.HandleTimeSamples <= 0 {
		c.HandleTimeSamples = DefaultHandleTimeSamples
	}
	if c.DefaultHandleTime <= 0 {
		c.DefaultHandleTime = DefaultHandleTime
	}
	if c.LeaderTTL <= 0 {
		c.LeaderTTL = DefaultLeaderTTL
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
