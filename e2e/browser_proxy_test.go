package e2e

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// linkProxy stands between a browser and a node on loopback, so a test can
// cut the station's link (every open connection, the WebSocket included) as
// a dropped island 4G link does. New connections go through again at once.
// Media does not pass it: it flows to the node's ICE candidates directly.
type linkProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	down   bool
	wg     sync.WaitGroup
}

func startLinkProxy(t *testing.T, targetURL string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &linkProxy{ln: ln, target: strings.TrimPrefix(targetURL, "http://"), conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's base URL, e.g. http://127.0.0.1:41234.
func (p *linkProxy) URL() string {
	return "http://" + p.ln.Addr().String()
}

func (p *linkProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.relay(c)
	}
}

func (p *linkProxy) relay(client net.Conn) {
	defer p.wg.Done()
	if p.isDown() {
		client.Close() // as an unreachable server: nothing answers
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.track(client, server)
	defer p.untrack(client, server)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src) // a cut link ends the copy with an error
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	<-done
}

func (p *linkProxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
}

func (p *linkProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

// cut closes every connection through the proxy.
func (p *linkProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
}

// setDown makes the server unreachable through the proxy (every connection
// is cut and new ones are closed at once) or reachable again.
func (p *linkProxy) setDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.cut()
	}
}

func (p *linkProxy) isDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}
