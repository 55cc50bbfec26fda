// Package linkemu is a userspace link emulator: a relay on loopback for UDP and TCP
// that gives each direction a bottleneck rate with a bounded buffer, delay and
// jitter, random and bursty loss, and scripted outages and rate changes. It stands
// in for netem, which the test machines' kernels lack, so that calls can be run
// over the thin links of remote stations.
package linkemu

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Link is one emulated link: its two directions are shared by every relay on it,
// as media, signaling and TURN share a station's one uplink.
type Link struct {
	up, down *shaper
	blockUDP atomic.Bool
	exempt   sync.Map // client address (ip:port) → struct{}: crosses unshaped

	mu      sync.Mutex
	closers []func() error
	closed  bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// New starts a link with a profile. seed makes the losses reproducible.
func New(p Profile, seed uint64) *Link {
	now := time.Now()
	l := &Link{
		up:   newShaper(p.Up, now, seed),
		down: newShaper(p.Down, now, seed+1),
		done: make(chan struct{}),
	}
	l.blockUDP.Store(p.BlockUDP)
	return l
}

// SetProfile changes the link's conditions from now on; scripts restart at now.
func (l *Link) SetProfile(p Profile) {
	now := time.Now()
	l.up.reset(p.Up, now)
	l.down.reset(p.Down, now)
	l.blockUDP.Store(p.BlockUDP)
}

// Exempt lets the datagrams of one client cross the link unshaped both ways,
// as if that client sat on another link: a test can put one party of a call on
// the profile and leave the other on a good link although both reach the same
// relayed address. addr (ip:port) is the client's address as the relay sees
// it, or the address the relay forwards the client's datagrams from: the one
// the target sees, which a WebRTC client learns as its peer-reflexive
// candidate and reports as its selected pair's local address.
func (l *Link) Exempt(addr string) { l.exempt.Store(addr, struct{}{}) }

func (l *Link) exempted(client *net.UDPAddr, s *udpSession) bool {
	_, ok := l.exempt.Load(client.String())
	if !ok {
		_, ok = l.exempt.Load(s.outward)
	}
	return ok
}

// Stats returns the counters of both directions.
func (l *Link) Stats() (up, down Stats) { return l.up.snapshot(), l.down.snapshot() }

// Close stops every relay of the link and waits for their goroutines.
func (l *Link) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	closers := l.closers
	l.mu.Unlock()
	close(l.done)
	var errs []error
	for _, c := range closers {
		if err := c(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	l.wg.Wait()
	return errors.Join(errs...)
}

// track registers something to close with the link; false if the link is closed.
func (l *Link) track(closer func() error) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.closers = append(l.closers, closer)
	return true
}

// spawn runs f on a goroutine that Close waits for.
func (l *Link) spawn(f func()) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
}

// item is a packet on its way through the delay line.
type item struct {
	at   time.Time
	data []byte
	send func([]byte)
}

// lineDepth bounds what one delay line holds; past it packets are dropped, which
// only happens when an unlimited-rate direction is flooded.
const lineDepth = 8192

// newLine starts a delay line: it delivers items at their time, in order (the
// shaper never hands out a time earlier than the previous one).
func (l *Link) newLine() chan<- item {
	ch := make(chan item, lineDepth)
	l.spawn(func() {
		timer := time.NewTimer(0)
		defer timer.Stop()
		for {
			select {
			case <-l.done:
				return
			case it := <-ch:
				if d := time.Until(it.at); d > 0 {
					timer.Reset(d)
					select {
					case <-l.done:
						return
					case <-timer.C:
					}
				}
				it.send(it.data)
			}
		}
	})
	return ch
}

func push(line chan<- item, it item) {
	select {
	case line <- it:
	default:
	}
}

func errClosed(what string) error { return fmt.Errorf("%s: link closed", what) }
