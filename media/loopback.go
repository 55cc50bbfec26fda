package media

import (
	"net"
	"net/netip"
)

// loopbackPeers is the media socket of a loopback-only SFU: it drops
// datagrams from any source but loopback. A browser on this machine also
// sends its checks to 127.0.0.1 from its other addresses; answering those
// would send media to the machine's network address instead of keeping it
// on loopback.
type loopbackPeers struct{ *net.UDPConn }

func (c loopbackPeers) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.UDPConn.ReadFrom(b)
		if err != nil || isLoopback(addr) {
			return n, addr, err
		}
	}
}

// ReadFromAddrPort keeps the mux's allocation-free read path.
func (c loopbackPeers) ReadFromAddrPort(b []byte) (int, netip.AddrPort, error) {
	for {
		n, addr, err := c.UDPConn.ReadFromUDPAddrPort(b)
		if err != nil || addr.Addr().Unmap().IsLoopback() {
			return n, addr, err
		}
	}
}

func (c loopbackPeers) WriteToAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.UDPConn.WriteToUDPAddrPort(b, addr)
}

func isLoopback(addr net.Addr) bool {
	ua, ok := addr.(*net.UDPAddr)
	return ok && ua.IP.IsLoopback()
}

// loopbackListener is the ICE-TCP listener of a loopback-only SFU: it
// closes connections from any source but loopback before the mux answers
// on them.
type loopbackListener struct{ net.Listener }

func (l loopbackListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return conn, err
		}
		if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok && ta.IP.IsLoopback() {
			return conn, nil
		}
		_ = conn.Close()
	}
}
