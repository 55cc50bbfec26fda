package media

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// transport owns the sockets every PeerConnection of the SFU shares: one UDP port for
// all ICE traffic (unless each connection has its own, Config.UDPPorts) and, unless
// disabled, one passive ICE-TCP port for networks that block UDP.
type transport struct {
	udpConn *net.UDPConn // nil with a port per connection
	udpMux  ice.UDPMux
	tcpLn   net.Listener // nil when ICE-TCP is disabled
	tcpMux  ice.TCPMux
}

// dtlsRetransmitInterval is the first wait before a DTLS flight is resent.
const dtlsRetransmitInterval = 250 * time.Millisecond

// udpSocketBuffer is the size asked for the media socket's kernel buffers.
const udpSocketBuffer = 4 << 20

func openTransport(cfg Config, logs logging.LoggerFactory) (*transport, error) {
	t := &transport{}
	if cfg.UDPPorts.IsZero() { // one port for all, not one per connection
		if err := t.openUDPMux(cfg, logs); err != nil {
			return nil, err
		}
	}
	if cfg.TCPPort < 0 {
		return t, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.listenHost(), strconv.Itoa(cfg.TCPPort)))
	if err != nil {
		_ = t.close()
		return nil, fmt.Errorf("listen ICE-TCP port %d: %w", cfg.TCPPort, err)
	}
	if cfg.LoopbackOnly {
		ln = loopbackListener{ln}
	}
	t.tcpLn = ln
	t.tcpMux = webrtc.NewICETCPMux(logs.NewLogger("tcpmux"), ln, 32)
	return t, nil
}

// openUDPMux opens the one UDP socket all PeerConnections share.
func (t *transport) openUDPMux(cfg Config, logs logging.LoggerFactory) error {
	udpAddr, err := net.ResolveUDPAddr("udp", net.JoinHostPort(cfg.listenHost(), strconv.Itoa(cfg.UDPPort)))
	if err != nil {
		return fmt.Errorf("resolve ICE UDP address: %w", err)
	}
	conn, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return fmt.Errorf("listen ICE UDP port %d: %w", cfg.UDPPort, err)
	}
	// All media shares this one socket: the kernel's default buffer (~200 KB,
	// ~90 packets) overflows whenever the node is not scheduled for a few tens
	// of milliseconds. The kernel caps these at net.core.rmem_max/wmem_max.
	if err := conn.SetReadBuffer(udpSocketBuffer); err != nil {
		logs.NewLogger("udpmux").Warnf("set receive buffer: %v", err)
	}
	if err := conn.SetWriteBuffer(udpSocketBuffer); err != nil {
		logs.NewLogger("udpmux").Warnf("set send buffer: %v", err)
	}
	var muxConn net.PacketConn = conn
	if cfg.LoopbackOnly {
		muxConn = loopbackPeers{conn}
	}
	t.udpConn, t.udpMux = conn, webrtc.NewICEUDPMux(logs.NewLogger("udpmux"), muxConn)
	return nil
}

// udpPort is the shared UDP socket's port, 0 with a port per connection.
func (t *transport) udpPort() int {
	if t.udpConn == nil {
		return 0
	}
	return t.udpConn.LocalAddr().(*net.UDPAddr).Port
}

func (t *transport) tcpPort() int {
	if t.tcpLn == nil {
		return -1
	}
	return t.tcpLn.Addr().(*net.TCPAddr).Port
}

// close closes the muxes, which close their sockets.
func (t *transport) close() error {
	var errs []error
	if t.tcpMux != nil {
		errs = append(errs, t.tcpMux.Close())
	}
	if t.udpMux != nil {
		errs = append(errs, t.udpMux.Close())
	}
	return errors.Join(errs...)
}

// settingEngine configures ICE, DTLS and SRTP for every PeerConnection of the SFU.
func (t *transport) settingEngine(cfg Config, logs logging.LoggerFactory) (webrtc.SettingEngine, error) {
	var se webrtc.SettingEngine
	se.LoggerFactory = logs
	// AES-GCM is cheaper per packet than AES-CM + HMAC and authenticates as well.
	se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	if t.udpMux != nil {
		se.SetICEUDPMux(t.udpMux)
	} else if err := se.SetEphemeralUDPPortRange(cfg.UDPPorts[0], cfg.UDPPorts[1]); err != nil {
		return se, fmt.Errorf("udp port range %s: %w", cfg.UDPPorts.String(), err)
	}
	// The server has fixed, routable addresses; mDNS would only open more sockets.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	networks := []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6}
	if t.tcpMux != nil {
		se.SetICETCPMux(t.tcpMux)
		networks = append(networks, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6)
	}
	if cfg.LoopbackOnly {
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
		if t.tcpMux != nil {
			networks = append(networks, webrtc.NetworkTypeTCP4)
		}
	}
	se.SetNetworkTypes(networks)
	// The node is the DTLS client (it answers the clients' offers), so its
	// timer decides how soon a lost handshake flight is sent again. pion's
	// default 1 s, doubling, turned a moment of socket overflow during a burst
	// of call starts into seconds of set-up; a quarter second, still doubling,
	// is above the round trip of an island 4G link.
	se.SetDTLSRetransmissionInterval(dtlsRetransmitInterval)
	if len(cfg.PublicIPs) > 0 {
		rule := webrtc.ICEAddressRewriteRule{External: cfg.PublicIPs, AsCandidateType: webrtc.ICECandidateTypeHost}
		if err := se.SetICEAddressRewriteRules(rule); err != nil {
			return se, fmt.Errorf("announce public IPs %v: %w", cfg.PublicIPs, err)
		}
	}
	return se, nil
}
