package linkemu

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// tcpChunk is how much of a stream crosses the link as one packet.
const tcpChunk = 1400

// RelayTCP relays connections made to listen on to target. A stream is never cut
// by loss: a lost chunk is sent again after a retransmission timeout, a full
// buffer holds the sender back and an outage stalls the stream, as TCP would.
func (l *Link) RelayTCP(listen, target string) (net.Addr, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("tcp relay listen %s: %w", listen, err)
	}
	if !l.track(ln.Close) {
		ln.Close()
		return nil, errClosed("tcp relay")
	}
	l.spawn(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.spawn(func() { l.serveTCP(c, target) })
		}
	})
	return ln.Addr(), nil
}

func (l *Link) serveTCP(client net.Conn, target string) {
	early, ok := l.awaitLink(client)
	if !ok {
		client.Close()
		return
	}
	server, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil || !l.track(client.Close) || !l.track(server.Close) {
		client.Close()
		if server != nil {
			server.Close()
		}
		return
	}
	if len(early) > 0 {
		if _, err := server.Write(early); err != nil {
			client.Close()
			server.Close()
			return
		}
	}
	l.spawn(func() { l.pump(client, server, l.up) })
	l.pump(server, client, l.down)
}

// awaitLink holds a connection opened during an outage until the link is back,
// as its lost SYN would be sent again until it got through: the target never
// sees a connection that could not have reached it (and would time it out).
// A client that gives up meanwhile stops its SYNs: false, and the target never
// sees it. What the client sent meanwhile is returned, to be sent first. False
// also once the link closes.
func (l *Link) awaitLink(client net.Conn) (early []byte, ok bool) {
	buf := make([]byte, tcpChunk)
	for {
		now := time.Now()
		end := l.up.outageEnd(now)
		if !end.After(now) {
			return early, true
		}
		select {
		case <-l.done:
			return nil, false
		default:
		}
		// Waiting on a read notices a client that closed.
		_ = client.SetReadDeadline(now.Add(min(end.Sub(now), 100*time.Millisecond)))
		n, err := client.Read(buf)
		early = append(early, buf[:n]...)
		var timeout net.Error
		if err != nil && !(errors.As(err, &timeout) && timeout.Timeout()) {
			return nil, false
		}
		_ = client.SetReadDeadline(time.Time{})
	}
}

// pump copies src to dst through one direction of the link, then closes both.
func (l *Link) pump(src, dst net.Conn, sh *shaper) {
	defer src.Close()
	defer dst.Close()
	line := l.newStreamLine(dst)
	defer close(line)
	buf := make([]byte, tcpChunk)
	for {
		n, err := src.Read(buf)
		if n > 0 && !l.sendChunk(sh, line, append([]byte(nil), buf[:n]...)) {
			return
		}
		if err != nil {
			return
		}
	}
}

// sendChunk gets one chunk across, retrying as TCP would; false once the link closes.
func (l *Link) sendChunk(sh *shaper, line chan<- item, b []byte) bool {
	for {
		now := time.Now()
		at, v := sh.admit(now, len(b))
		wait := 20 * time.Millisecond
		switch v {
		case Deliver:
			select {
			case line <- item{at: at, data: b}:
				return true
			case <-l.done:
				return false
			}
		case DropLoss:
			wait = sh.retransmitWait()
		case DropOutage:
			if end := sh.outageEnd(now); end.After(now) {
				wait = end.Sub(now)
			}
		}
		select {
		case <-time.After(wait):
		case <-l.done:
			return false
		}
	}
}

// newStreamLine is a delay line for one stream; it ends when the channel closes.
func (l *Link) newStreamLine(dst net.Conn) chan<- item {
	ch := make(chan item, 64)
	l.spawn(func() {
		for it := range ch {
			if d := time.Until(it.at); d > 0 {
				select {
				case <-time.After(d):
				case <-l.done:
					return
				}
			}
			if _, err := dst.Write(it.data); err != nil {
				dst.Close()
				for range ch { // the pump stops at its next read; drain until it does
				}
				return
			}
		}
	})
	return ch
}

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
