package media

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Config configures an SFU.
type Config struct {
	UDPPort      int                   // ICE UDP mux port; 0 = any free port
	TCPPort      int                   // ICE-TCP port; 0 = any free port; negative (-1) = disabled
	PublicIPs    []string              // NAT 1:1 IPs announced as host candidates (optional)
	LoopbackOnly bool                  // gather candidates on loopback only (tests, single-box demos)
	Registerer   prometheus.Registerer // may be nil
	Logger       *slog.Logger          // nil: logs nowhere

	// UDPPorts, when set, gives each PeerConnection its own UDP socket on a
	// port in this range instead of the shared UDPPort: the packets then skip
	// the mux's reader goroutine, at the price of a port range to open in the
	// firewall.
	UDPPorts PortRange

	// AdaptDownlink estimates each subscriber's downlink, caps publishers to it and
	// pauses video (never audio) to a subscriber whose link cannot carry it.
	AdaptDownlink bool
	Adapt         AdaptConfig // tuning of AdaptDownlink; zero fields take defaults

	// AudioRedundancy is the most earlier Opus frames (0–3) the node adds to
	// each audio packet, as RED, for receivers that negotiated RED; how many
	// follows each receiver's reported loss. 0 turns it off (a publisher's own
	// RED is still passed through).
	AudioRedundancy int
	// VideoFEC offers subscribers forward error correction for video (ULPFEC
	// in RED), sent while a subscriber reports loss and AdaptDownlink is on.
	VideoFEC bool
}

// PortRange is the ports from first to last; the zero value is none. As a
// flag it reads "first-last" (empty: none).
type PortRange [2]uint16

// IsZero tells that no range is set.
func (r PortRange) IsZero() bool { return r == PortRange{} }

func (r *PortRange) String() string {
	if r == nil || r.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d-%d", r[0], r[1])
}

// Set parses "first-last".
func (r *PortRange) Set(s string) error {
	if s == "" {
		*r = PortRange{}
		return nil
	}
	a, b, ok := strings.Cut(s, "-")
	first, err1 := strconv.ParseUint(a, 10, 16)
	last, err2 := strconv.ParseUint(b, 10, 16)
	got := PortRange{uint16(first), uint16(last)}
	if !ok || err1 != nil || err2 != nil || got.check() != nil {
		return fmt.Errorf("port range %q: want first-last, such as 40000-49999", s)
	}
	*r = got
	return nil
}

// check tells a usable range, or none, from one that is not.
func (r PortRange) check() error {
	if !r.IsZero() && (r[0] == 0 || r[1] < r[0]) {
		return fmt.Errorf("udp port range %d-%d: want first ≤ last, both above 0", r[0], r[1])
	}
	return nil
}

func (c Config) validate() error {
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("udp port %d out of range", c.UDPPort)
	}
	if err := c.UDPPorts.check(); err != nil {
		return err
	}
	if c.TCPPort > 65535 {
		return fmt.Errorf("tcp port %d out of range (negative disables ICE-TCP)", c.TCPPort)
	}
	if c.AudioRedundancy < 0 || c.AudioRedundancy > maxRedundancy {
		return fmt.Errorf("audio redundancy %d out of range 0–%d", c.AudioRedundancy, maxRedundancy)
	}
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("public ip %q is not an IP address", ip)
		}
	}
	return nil
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// listenHost is where the ICE sockets listen: loopback keeps tests and demos off the
// network, the empty host listens on every interface (IPv4 and IPv6).
func (c Config) listenHost() string {
	if c.LoopbackOnly {
		return "127.0.0.1"
	}
	return ""
}
