package linkemu

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"testing"
	"time"
)

// udpEcho answers every datagram on 127.0.0.1 with the same bytes.
func udpEcho(t *testing.T) string {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			c.WriteToUDP(buf[:n], from)
		}
	}()
	return c.LocalAddr().String()
}

// echoes sends n datagrams through the relay, 2 ms apart, and counts the answers
// that come back within the wait after the last one.
func echoes(t *testing.T, relay net.Addr, n int, wait time.Duration) int {
	t.Helper()
	c, err := net.DialUDP("udp", nil, relay.(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return echoesOn(c, n, wait)
}

// echoesOn is echoes over a client socket of the caller's.
func echoesOn(c *net.UDPConn, n int, wait time.Duration) int {
	got := make(chan int)
	go func() {
		buf, count := make([]byte, 2048), 0
		for {
			if _, err := c.Read(buf); err != nil {
				got <- count
				return
			}
			count++
		}
	}()
	for i := range n {
		c.Write([]byte{byte(i), byte(i >> 8), 1, 2, 3, 4, 5, 6})
		time.Sleep(2 * time.Millisecond)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	return <-got
}

func newTestLink(t *testing.T, p Profile) *Link {
	l := New(p, 42)
	t.Cleanup(func() { l.Close() })
	return l
}

func TestUDPRelayLosesAsProfiled(t *testing.T) {
	l := newTestLink(t, Profiles["island-bad"])
	relay, err := l.RelayUDP("127.0.0.1:0", udpEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	got := echoes(t, relay, n, time.Second)
	// 20 % loss each way: 64 % of round trips survive.
	if got < n*55/100 || got > n*73/100 {
		t.Fatalf("%d of %d echoes came back over island-bad, want about 64 %%", got, n)
	}
	up, down := l.Stats()
	if up.Packets != n || up.Delivered+up.DroppedLoss != n || down.Delivered != uint64(got) {
		t.Fatalf("stats up %+v down %+v, %d received", up, down, got)
	}
}

func TestUDPRelayPassesNothingDuringOutage(t *testing.T) {
	l := newTestLink(t, Profiles["good"])
	relay, err := l.RelayUDP("127.0.0.1:0", udpEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := echoes(t, relay, 50, 500*time.Millisecond); got != 50 {
		t.Fatalf("good link: %d of 50 echoes", got)
	}
	out := Profiles["good"]
	out.Up.Script = []Step{{Outage: time.Minute}}
	l.SetProfile(out)
	if got := echoes(t, relay, 50, 500*time.Millisecond); got != 0 {
		t.Fatalf("during an outage %d echoes came back, want none", got)
	}
	l.SetProfile(Profiles["good"])
	if got := echoes(t, relay, 50, 500*time.Millisecond); got != 50 {
		t.Fatalf("after the outage: %d of 50 echoes", got)
	}
}

func TestTCPRelayDeliversEveryByteOverALossyLink(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	p := Profiles["island-bad"]
	p.Up.RateBps, p.Down.RateBps = 2000*kbit, 2000*kbit // keep the test short
	l := newTestLink(t, p)
	relay, err := l.RelayTCP("127.0.0.1:0", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", relay.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	want := make([]byte, 16<<10)
	rand.Read(want)
	go c.Write(want)
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read echo: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("stream corrupted by the relay")
	}
	if up, _ := l.Stats(); up.DroppedLoss == 0 {
		t.Fatalf("no chunk was lost and resent over island-bad: %+v", up)
	}
}

func TestUDPBlockedLinkCarriesTCPOnly(t *testing.T) {
	l := newTestLink(t, Profiles["udp-blocked"])
	relay, err := l.RelayUDP("127.0.0.1:0", udpEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := echoes(t, relay, 20, 300*time.Millisecond); got != 0 {
		t.Fatalf("udp-blocked: %d echoes came back, want none", got)
	}
	l.SetProfile(Profiles["good"])
	if got := echoes(t, relay, 20, 500*time.Millisecond); got != 20 {
		t.Fatalf("once UDP is let through: %d of 20 echoes", got)
	}
}

// A connection opened during an outage reaches the target only once the link
// is back, as its SYN would, with what the client sent meanwhile: the target
// never sees a connection it could not have been reached by, and so never
// times one out. One the client gave up during the outage never reaches it.
func TestTCPConnectionDuringOutageReachesTargetAfterIt(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	out := Profiles["good"]
	out.Up.Script = []Step{{Outage: time.Minute}}
	l := newTestLink(t, out)
	relay, err := l.RelayTCP("127.0.0.1:0", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	given, err := net.Dial("tcp", relay.String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", relay.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-accepted:
		s.Close()
		t.Fatal("the target saw a connection opened during the outage")
	case <-time.After(300 * time.Millisecond):
	}
	given.Close()
	time.Sleep(300 * time.Millisecond) // the relay notices within 100 ms
	l.SetProfile(Profiles["good"])
	select {
	case s := <-accepted:
		defer s.Close()
		s.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 5)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "hello" {
			t.Fatalf("the target read %q (%v), want what the client sent during the outage", buf, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connection never reached the target after the outage")
	}
	select {
	case s := <-accepted:
		s.Close()
		t.Error("the target saw a connection its client gave up during the outage")
	case <-time.After(500 * time.Millisecond):
	}
}

// TestUDPSessionsExpire: a client socket that fell silent (as after an ICE
// restart, which gathers new sockets) loses its session once another client
// comes, so the relay never fills up with the dead ones.
func TestUDPSessionsExpire(t *testing.T) {
	l := New(Profiles["good"], 1)
	t.Cleanup(func() { l.Close() })
	r, err := l.relayUDP("127.0.0.1:0", udpEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := echoes(t, r.ln.LocalAddr(), 3, 300*time.Millisecond); got != 3 {
		t.Fatalf("%d of 3 echoes through the relay", got)
	}
	if n := r.count(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
	later := time.Now().Add(udpSessionIdle)
	r.session(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, later.Add(-time.Second))
	if n := r.count(); n != 2 {
		t.Fatalf("%d sessions before the first one was idle for %v, want 2", n, udpSessionIdle)
	}
	r.session(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 10}, later.Add(time.Second))
	if n := r.count(); n != 2 {
		t.Errorf("%d sessions once the first one was idle for %v, want 2 (it expired, a new one opened)", n, udpSessionIdle)
	}
}

// TestExemptClientCrossesUnshaped puts two clients behind a link that loses
// everything: the exempt one gets every echo back, the other none.
func TestExemptClientCrossesUnshaped(t *testing.T) {
	lossy := Direction{Loss: 1}
	l := newTestLink(t, Profile{Name: "lost", Up: lossy, Down: lossy})
	relay, err := l.RelayUDP("127.0.0.1:0", udpEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	for _, exempt := range []bool{true, false} {
		c, err := net.DialUDP("udp", nil, relay.(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if exempt {
			l.Exempt(c.LocalAddr().String())
		}
		got := echoesOn(c, n, time.Second)
		if want := map[bool]int{true: n, false: 0}[exempt]; got != want {
			t.Errorf("exempt %v: %d of %d echoes came back, want %d", exempt, got, n, want)
		}
	}
}

// TestExemptByTheAddressTheTargetSees exempts a client by the address its
// datagrams reach the target from, as a WebRTC client reports it.
func TestExemptByTheAddressTheTargetSees(t *testing.T) {
	lossy := Direction{Loss: 1}
	l := newTestLink(t, Profile{Name: "lost", Up: lossy, Down: lossy})
	r, err := l.relayUDP("127.0.0.1:0", udpEcho(t))
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", nil, r.ln.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Write([]byte{0}) // opens the client's session; lost on the link
	var outward string
	for deadline := time.Now().Add(time.Second); outward == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		r.mu.Lock()
		for _, s := range r.sessions {
			outward = s.outward
		}
		r.mu.Unlock()
	}
	if outward == "" || outward == c.LocalAddr().String() {
		t.Fatalf("the client's outward address %q", outward)
	}
	l.Exempt(outward)
	const n = 20
	if got := echoesOn(c, n, time.Second); got != n {
		t.Errorf("%d of %d echoes came back", got, n)
	}
}
