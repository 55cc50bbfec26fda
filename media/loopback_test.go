package media

import (
	"net"
	"testing"
	"time"
)

// TestLoopbackPeersDropsOtherSources has a datagram reach the loopback-only
// media socket from this machine's network address and one from loopback:
// only the loopback one is read, by either read path of the mux.
func TestLoopbackPeersDropsOtherSources(t *testing.T) {
	far := networkAddress(t)
	for _, path := range []string{"ReadFrom", "ReadFromAddrPort"} {
		t.Run(path, func(t *testing.T) {
			conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			send(t, far, conn.LocalAddr(), "far")
			send(t, net.IPv4(127, 0, 0, 1), conn.LocalAddr(), "near")

			peers := loopbackPeers{conn}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 16)
			var n int
			if path == "ReadFrom" {
				n, _, err = peers.ReadFrom(buf)
			} else {
				n, _, err = peers.ReadFromAddrPort(buf)
			}
			if err != nil || string(buf[:n]) != "near" {
				t.Fatalf("read %q, %v; want only the datagram from loopback", buf[:n], err)
			}
		})
	}
}

// networkAddress is one of this machine's own IPv4 addresses off loopback,
// used only as a source: datagrams go to 127.0.0.1.
func networkAddress(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() {
			return ip.IP
		}
	}
	t.Skip("no IPv4 address off loopback to send from")
	return nil
}

func send(t *testing.T, from net.IP, to net.Addr, payload string) {
	t.Helper()
	c, err := net.DialUDP("udp4", &net.UDPAddr{IP: from}, to.(*net.UDPAddr))
	if err != nil {
		t.Fatalf("send from %s: %v", from, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(payload)); err != nil {
		t.Fatalf("send from %s: %v", from, err)
	}
}

// TestLoopbackListenerDropsOtherSources connects to the loopback-only ICE-TCP
// port from this machine's network address and from loopback: only the
// loopback connection is accepted.
func TestLoopbackListenerDropsOtherSources(t *testing.T) {
	far := networkAddress(t)
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	for _, from := range []net.IP{far, net.IPv4(127, 0, 0, 1)} {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: from}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatalf("connect from %s: %v", from, err)
		}
		t.Cleanup(func() { c.Close() })
	}
	conn, err := loopbackListener{ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ip := conn.RemoteAddr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		t.Fatalf("accepted a connection from %s", ip)
	}
}
