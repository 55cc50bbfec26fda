package linkemu

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// maxUDPSessions bounds the client addresses one UDP relay serves.
const maxUDPSessions = 1024

// udpSessionIdle is how long a session may carry nothing either way before it
// is closed, as a NAT forgets a mapping. Clients that restart ICE gather new
// sockets and leave their old ones silent; without expiry their sessions would
// fill the relay until new ones were refused.
const udpSessionIdle = 30 * time.Second

// udpSession is one client address's socket towards the target.
type udpSession struct {
	conn    *net.UDPConn
	outward string       // conn's local address: the client's, as the target sees it
	last    atomic.Int64 // unix ns of the last datagram either way
}

func (s *udpSession) touch(now time.Time) { s.last.Store(now.UnixNano()) }

const maxDatagram = 65535

type udpRelay struct {
	link     *Link
	ln       *net.UDPConn
	target   *net.UDPAddr
	upLine   chan<- item
	downLine chan<- item

	mu       sync.Mutex
	sessions map[string]*udpSession // by client address
}

// RelayUDP relays datagrams sent to listen on to target, each client address
// through its own socket (as a NAT would), and the answers back. It returns the
// address it listens on.
func (l *Link) RelayUDP(listen, target string) (net.Addr, error) {
	r, err := l.relayUDP(listen, target)
	if err != nil {
		return nil, err
	}
	return r.ln.LocalAddr(), nil
}

func (l *Link) relayUDP(listen, target string) (*udpRelay, error) {
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
	r := &udpRelay{link: l, ln: ln, target: taddr, sessions: map[string]*udpSession{}}
	if !l.track(ln.Close) {
		ln.Close()
		return nil, errClosed("udp relay")
	}
	r.upLine, r.downLine = l.newLine(), l.newLine()
	l.spawn(r.readClients)
	return r, nil
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
		now := time.Now()
		sess := r.session(from, now)
		if sess == nil {
			continue
		}
		sess.touch(now)
		conn := sess.conn
		if r.link.exempted(from, sess) {
			_, _ = conn.Write(buf[:n])
			continue
		}
		at, v := r.link.up.admit(now, n)
		if v != Deliver {
			continue
		}
		push(r.upLine, item{at: at, data: append([]byte(nil), buf[:n]...), send: func(b []byte) { _, _ = conn.Write(b) }})
	}
}

// session returns a client's session, opening it and its reader on first use.
func (r *udpRelay) session(from *net.UDPAddr, now time.Time) *udpSession {
	key := from.String()
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.sessions[key]; ok {
		return s
	}
	r.expire(now)
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
	s := &udpSession{conn: c, outward: c.LocalAddr().String()}
	s.touch(now)
	r.sessions[key] = s
	client := *from
	r.link.spawn(func() { r.readTarget(s, &client) })
	return s
}

// expire closes the sessions idle for udpSessionIdle; their readers end.
// r.mu is held.
func (r *udpRelay) expire(now time.Time) {
	for key, s := range r.sessions {
		if now.Sub(time.Unix(0, s.last.Load())) >= udpSessionIdle {
			s.conn.Close()
			delete(r.sessions, key)
		}
	}
}

// count is how many client addresses the relay holds a socket for.
func (r *udpRelay) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// readTarget takes the target's datagrams for one client down the link.
func (r *udpRelay) readTarget(s *udpSession, client *net.UDPAddr) {
	buf := make([]byte, maxDatagram)
	for {
		n, err := s.conn.Read(buf)
		if err != nil {
			if isRefused(err) {
				continue // the target was not listening yet; keep the session
			}
			return
		}
		if r.link.blockUDP.Load() {
			continue
		}
		now := time.Now()
		s.touch(now)
		if r.link.exempted(client, s) {
			_, _ = r.ln.WriteToUDP(buf[:n], client)
			continue
		}
		at, v := r.link.down.admit(now, n)
		if v != Deliver {
			continue
		}
		push(r.downLine, item{at: at, data: append([]byte(nil), buf[:n]...), send: func(b []byte) { _, _ = r.ln.WriteToUDP(b, client) }})
	}
}
