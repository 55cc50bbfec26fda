package linkemu

import (
	"fmt"
	"net"
	"sync"
	"time"
)

// maxUDPSessions bounds the client addresses one UDP relay serves.
const maxUDPSessions = 1024

const maxDatagram = 65535

type udpRelay struct {
	link     *Link
	ln       *net.UDPConn
	target   *net.UDPAddr
	upLine   chan<- item
	downLine chan<- item

	mu       sync.Mutex
	sessions map[string]*net.UDPConn // by client address: the socket towards the target
}

// RelayUDP relays datagrams sent to listen on to target, each client address
// through its own socket (as a NAT would), and the answers back. It returns the
// address it listens on.
func (l *Link) RelayUDP(listen, target string) (net.Addr, error) {
	taddr, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, fmt.Errorf("udp relay target %s: %w", target, err)
	}
	laddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return nil, fmt.Errorf("udp relay address %s: %w", listen, err)
	}
	ln, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("udp relay listen %s: %w", listen, err)
	}
	r := &udpRelay{link: l, ln: ln, target: taddr, sessions: map[string]*net.UDPConn{}}
	if !l.track(ln.Close) {
		ln.Close()
		return nil, errClosed("udp relay")
	}
	r.upLine, r.downLine = l.newLine(), l.newLine()
	l.spawn(r.readClients)
	return ln.LocalAddr(), nil
}

// readClients takes datagrams from clients and sends them up the link.
func (r *udpRelay) readClients() {
	buf := make([]byte, maxDatagram)
	for {
		n, from, err := r.ln.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if r.link.blockUDP.Load() {
			continue
		}
		conn := r.session(from)
		if conn == nil {
			continue
		}
		at, v := r.link.up.admit(time.Now(), n)
		if v != Deliver {
			continue
		}
		push(r.upLine, item{at: at, data: append([]byte(nil), buf[:n]...), send: func(b []byte) { _, _ = conn.Write(b) }})
	}
}

// session returns the socket towards the target for a client, opening it and its
// reader on first use.
func (r *udpRelay) session(from *net.UDPAddr) *net.UDPConn {
	key := from.String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.sessions[key]; ok {
		return c
	}
	if len(r.sessions) >= maxUDPSessions {
		return nil
	}
	c, err := net.DialUDP("udp", nil, r.target)
	if err != nil || !r.link.track(c.Close) {
		if c != nil {
			c.Close()
		}
		return nil
	}
	r.sessions[key] = c
	client := *from
	r.link.spawn(func() { r.readTarget(c, &client) })
	return c
}

// readTarget takes the target's datagrams for one client down the link.
func (r *udpRelay) readTarget(c *net.UDPConn, client *net.UDPAddr) {
	buf := make([]byte, maxDatagram)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if isRefused(err) {
				continue // the target was not listening yet; keep the session
			}
			return
		}
		if r.link.blockUDP.Load() {
			continue
		}
		at, v := r.link.down.admit(time.Now(), n)
		if v != Deliver {
			continue
		}
		push(r.downLine, item{at: at, data: append([]byte(nil), buf[:n]...), send: func(b []byte) { _, _ = r.ln.WriteToUDP(b, client) }})
	}
}
