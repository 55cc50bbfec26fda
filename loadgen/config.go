package loadgen

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"
)

// MediaSource chooses what the parties send.
type MediaSource string

// Media sources.
const (
	// MediaClip loops the embedded VP8 + Opus clip (~1 Mbit/s video).
	MediaClip MediaSource = "clip"
	// MediaSynthetic sends VideoBitrate of PacketSize-byte packets plus 20 ms
	// audio: raw-rate payloads for pure forwarding tests.
	MediaSynthetic MediaSource = "synthetic"
)

// Media is what each party sends in a call.
type Media struct {
	Source       MediaSource
	VideoBitrate int  // bit/s, synthetic only; default 1 Mbit/s
	PacketSize   int  // bytes per video packet, synthetic only; default 1100
	OneWay       bool // only stations send; agents just receive
}

// Config describes one load run against a running node.
type Config struct {
	// BaseURL is the node, e.g. http://127.0.0.1:8080. Only loopback
	// addresses are accepted.
	BaseURL  string
	Password string // of every load account; see PrepareDataDir

	Stations int // stations signed in
	Agents   int // agents signed in and ready (generalists)

	// Duration bounds the run: no call starts after it, and every call is
	// hung up when it ends.
	Duration time.Duration
	// Hold, if set, ends the run Hold after the measurement window opened.
	Hold time.Duration
	// Warmup opens the measurement window if MaxCalls calls do not carry
	// media by then; default a quarter of Duration.
	Warmup time.Duration

	CallRate    float64       // call requests per second; 0: as fast as MaxCalls allows
	MaxCalls    int           // calls at once; default Agents
	TotalCalls  int           // stop after this many calls; 0: no limit
	AcceptDelay time.Duration // an agent's pause between offer and accept
	// AcceptTogether, if set, holds every agent's accept until this many
	// have an offer to accept, so that the calls start at the same moment.
	AcceptTogether int
	// Standing connects ready agents and queued stations' media ahead of the
	// call (the node's --preconnect-media), as the web apps do.
	Standing   bool
	CallLength time.Duration // from media flowing to the agent's hang-up
	GreenShare float64       // share of requests on the green channel
	Items      []string      // item ids, used in turn; empty: one per catalog category

	Media Media

	// MaxFailedShare: Run returns ErrTooManyFailures when a larger share of
	// the finished calls failed.
	MaxFailedShare float64

	// ServerPID, if set, is the node's process, read from /proc for CPU and
	// memory; otherwise the node's /metrics are used.
	ServerPID int
	Logger    *slog.Logger
}

// ErrTooManyFailures is returned (with the report) when more calls failed
// than Config.MaxFailedShare allows.
var ErrTooManyFailures = errors.New("too many calls failed")

// Timeouts of one call's steps; a step that takes longer fails the call.
const (
	answerTimeout = 30 * time.Second // call.request → call.started
	mediaTimeout  = 15 * time.Second // call.started → media at every side
	replyTimeout  = 10 * time.Second // any request → its reply
)

func (c *Config) setDefaults() {
	if c.Password == "" {
		c.Password = DefaultPassword
	}
	if c.MaxCalls <= 0 || c.MaxCalls > c.Agents {
		c.MaxCalls = c.Agents
	}
	if c.Warmup <= 0 {
		c.Warmup = c.Duration / 4
	}
	c.Media = c.Media.withDefaults()
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func (c *Config) validate() error {
	if err := CheckLoopback(c.BaseURL); err != nil {
		return err
	}
	switch {
	case c.Duration <= 0:
		return errors.New("duration must be positive: a run must stop by itself")
	case c.Stations <= 0 || c.Agents <= 0:
		return errors.New("need at least one station and one agent")
	case c.GreenShare < 0 || c.GreenShare > 1:
		return fmt.Errorf("green share %v is not between 0 and 1", c.GreenShare)
	case c.Media.Source != MediaClip && c.Media.Source != MediaSynthetic:
		return fmt.Errorf("unknown media source %q (clip or synthetic)", c.Media.Source)
	case c.Media.PacketSize > maxRTPPayload:
		return fmt.Errorf("packet size %d is above %d bytes", c.Media.PacketSize, maxRTPPayload)
	}
	return nil
}

// CheckLoopback refuses any node address that is not loopback: the
// generator must never send load over a real network.
func CheckLoopback(baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("node URL %q: %w", baseURL, err)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("node URL %q: only loopback addresses (127.0.0.1, ::1, localhost) may be loaded", baseURL)
}

func (m Media) withDefaults() Media {
	if m.Source == "" {
		m.Source = MediaClip
	}
	if m.VideoBitrate <= 0 {
		m.VideoBitrate = 1_000_000
	}
	if m.PacketSize <= 0 {
		m.PacketSize = 1100
	}
	return m
}

// pattern returns the media pattern the config asks for.
func (m Media) pattern() (*pattern, error) {
	if m.Source == MediaSynthetic {
		return syntheticPattern(m.VideoBitrate, m.PacketSize), nil
	}
	return clipPattern()
}
