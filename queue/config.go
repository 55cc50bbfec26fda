package queue

import (
	"log/slog"
	"time"
)

// Config tunes a queue; zero fields take the defaults.
type Config struct {
	RingTimeout   time.Duration // how long an offer rings before moving on; default 20 s
	WrapUpTimeout time.Duration // how long wrap-up lasts unless finished earlier; default 60 s
	Clock         Clock         // default: the wall clock

	// HandleTimeSamples is how many recent calls the handle-time average covers;
	// default 20.
	HandleTimeSamples int
	// DefaultHandleTime stands in for the average until a call has ended;
	// default 5 min.
	DefaultHandleTime time.Duration
	Logger            *slog.Logger // default: slog.Default()
}

// Defaults, used for zero Config fields.
const (
	DefaultRingTimeout       = 20 * time.Second
	DefaultWrapUpTimeout     = 60 * time.Second
	DefaultHandleTimeSamples = 20
	DefaultHandleTime        = 5 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.RingTimeout <= 0 {
		c.RingTimeout = DefaultRingTimeout
	}
	if c.WrapUpTimeout <= 0 {
		c.WrapUpTimeout = DefaultWrapUpTimeout
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
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
