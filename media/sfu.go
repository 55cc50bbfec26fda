package media

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"

	"cloudwindow/media/dtlscert"
)

// SFU owns the shared ICE sockets and the rooms of one node.
type SFU struct {
	log        *slog.Logger
	api        *webrtc.API
	transport  *transport
	metrics    *metrics
	adapt      *AdaptConfig // nil: downlink adaptation off
	redundancy int          // most redundant Opus frames per packet; 0: no RED built
	// certs is the node's one DTLS certificate: making one per PeerConnection
	// cost an ECDSA key generation on every call start.
	certs *dtlscert.Rotating

	// pcMu serialises PeerConnection creation when downlink adaptation is on,
	// so that the downlink estimator the interceptor factory just made (handoff)
	// belongs to the PeerConnection made. Without adaptation nothing is handed
	// off and PeerConnections are made in parallel.
	pcMu    sync.Mutex
	handoff *downlinkBWE

	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
}

// New opens the shared UDP and TCP muxes and returns a ready SFU.
func New(cfg Config) (*SFU, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("media config: %w", err)
	}
	log := cfg.logger().With("component", "media")
	logs := pionLoggerFactory{log: log}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	t, err := openTransport(cfg, logs)
	if err != nil {
		return nil, err
	}
	se, err := t.settingEngine(cfg, logs)
	if err != nil {
		_ = t.close()
		return nil, err
	}
	s := &SFU{log: log, transport: t, metrics: m, rooms: make(map[string]*Room),
		redundancy: cfg.AudioRedundancy, certs: dtlscert.New(0, nil)}
	var newBWE cc.BandwidthEstimatorFactory
	if cfg.AdaptDownlink {
		a := cfg.Adapt.withDefaults()
		s.adapt = &a
		newBWE = func() (cc.BandwidthEstimator, error) {
			b, err := newDownlinkBWE(logs)
			s.handoff = b // pcMu is held by newPeerConnection
			return b, err
		}
	}
	if s.api, err = newAPI(se, newBWE, cfg.VideoFEC); err != nil {
		_ = t.close()
		return nil, err
	}
	log.Info("sfu listening", "udp_port", t.udpPort(), "udp_ports", cfg.UDPPorts.String(), "tcp_port", t.tcpPort(), "loopback_only", cfg.LoopbackOnly, "adapt_downlink", cfg.AdaptDownlink)
	return s, nil
}

// newPeerConnection makes a PeerConnection and returns its downlink estimator
// (nil when adaptation is off).
func (s *SFU) newPeerConnection() (*webrtc.PeerConnection, *downlinkBWE, error) {
	cfg, err := s.certs.Configuration(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return nil, nil, err
	}
	if s.adapt == nil {
		pc, err := s.api.NewPeerConnection(cfg)
		return pc, nil, err
	}
	s.pcMu.Lock()
	defer s.pcMu.Unlock()
	s.handoff = nil
	pc, err := s.api.NewPeerConnection(cfg)
	return pc, s.handoff, err
}

// UDPPort is the port of the shared ICE UDP socket, 0 when each connection
// has its own (Config.UDPPorts).
func (s *SFU) UDPPort() int { return s.transport.udpPort() }

// TCPPort is the port of the ICE-TCP listener, -1 when ICE-TCP is disabled.
func (s *SFU) TCPPort() int { return s.transport.tcpPort() }

// NewRoom opens a room for one call.
func (s *SFU) NewRoom(id string) (*Room, error) {
	if id == "" {
		return nil, errors.New("new room: empty id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("new room %s: sfu closed", id)
	}
	if _, ok := s.rooms[id]; ok {
		return nil, fmt.Errorf("new room %s: already exists", id)
	}
	r := newRoom(id, s)
	s.rooms[id] = r
	s.metrics.roomsOpen.Inc()
	return r, nil
}

// Room returns the open room with that id, or nil.
func (s *SFU) Room(id string) *Room {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[id]
}

// StandingBy counts the standing connections no call has adopted yet.
func (s *SFU) StandingBy() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.rooms {
		if r.standby {
			n++
		}
	}
	return n
}

// forget is called by a closing room.
func (s *SFU) forget(r *Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rooms[r.id] == r {
		delete(s.rooms, r.id)
		if r.standby {
			s.metrics.standbyOpen.Dec()
		} else {
			s.metrics.roomsOpen.Dec()
		}
	}
}

// Close closes every room, then the shared sockets.
func (s *SFU) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		r.Close()
	}
	if err := s.transport.close(); err != nil {
		return fmt.Errorf("close sfu sockets: %w", err)
	}
	return nil
}
