package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"cloudwindow/client"
)

// The Go clients of the cluster tests: a call's two sides that come back
// after a node dies or a page reloads, as the web client does.

// failParty is one side of a call through the load balancer: its current
// socket and media, and what it hears of the other side.
type failParty struct {
	name, password string
	token          string
	c              *client.Client
	m              atomic.Pointer[client.Media]

	mu        sync.Mutex
	heard     int    // audio packets from the other side
	lastHeard uint32 // the number of the last one
	// maxGap is the most packets missing between two heard in a row since
	// the node was killed: the failover's gap.
	maxGap uint32
}

func (p *failParty) onPacket(_, track string, pkt *rtp.Packet) {
	n, ok := client.PayloadNumber(track, pkt.Payload)
	if track != "audio" || !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.heard++
	if n > p.lastHeard+1 && p.lastHeard != 0 {
		p.maxGap = max(p.maxGap, n-p.lastHeard-1)
	}
	p.lastHeard = max(p.lastHeard, n)
}

func (p *failParty) heardCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heard
}

// failCall is a call between a station and an agent created for the test.
type failCall struct {
	id, caseID, node string
	station, agent   *failParty
	sent             atomic.Uint32
	stop             chan struct{}
	done             chan struct{}
}

// send sends synthetic audio and video from both sides until stop, on
// whatever media each side has now, numbered across a failover.
func (fc *failCall) send() {
	defer close(fc.done)
	tick := time.NewTicker(client.FrameInterval)
	defer tick.Stop()
	for {
		select {
		case <-fc.stop:
			return
		case <-tick.C:
		}
		n := fc.sent.Add(1)
		for _, p := range []*failParty{fc.station, fc.agent} {
			if m := p.m.Load(); m != nil {
				m.SendSynthetic(n)
			}
		}
	}
}

// adminCreate creates an account through the admin API and returns its
// generated password.
func adminCreate(t *testing.T, url, token, path string, body map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url+path, strings.NewReader(string(b)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Password string `json:"password"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 || out.Password == "" {
		t.Fatalf("create %v: %d %v", body["username"], resp.StatusCode, err)
	}
	return out.Password
}

func loginDial(t *testing.T, url string, p *failParty) {
	t.Helper()
	ctx := ctxT(t)
	var err error
	if p.token, err = client.Login(ctx, url, p.name, p.password); err != nil {
		t.Fatalf("login %s: %v", p.name, err)
	}
	if p.c, err = client.Dial(ctx, url, p.token); err != nil {
		t.Fatalf("dial %s: %v", p.name, err)
	}
	t.Cleanup(func() { p.c.Close() })
}

// startFailCalls creates n agents and stations and has each pair in a
// call with media flowing both ways.
func startFailCalls(t *testing.T, url string, n int, tag string) []*failCall {
	t.Helper()
	admin, err := client.Login(ctxT(t), url, "admin", "demo")
	if err != nil {
		t.Fatal(err)
	}
	var out []*failCall
	for i := range n {
		fc := &failCall{
			station: &failParty{name: fmt.Sprintf("fs%s%d", tag, i)},
			agent:   &failParty{name: fmt.Sprintf("fa%s%d", tag, i)},
			stop:    make(chan struct{}), done: make(chan struct{}),
		}
		fc.station.password = adminCreate(t, url, admin, "/api/v1/admin/stations",
			map[string]any{"username": fc.station.name, "name": "测试帮办点" + fc.station.name, "region": "沈家门街道"})
		fc.agent.password = adminCreate(t, url, admin, "/api/v1/admin/accounts",
			map[string]any{"username": fc.agent.name, "display_name": "坐席" + fc.agent.name, "role": "agent", "generalist": true})
		loginDial(t, url, fc.station)
		loginDial(t, url, fc.agent)
		ready(t, fc.agent.c)
		fc.id, fc.caseID = startCaseCall(t, fc.station.c, fc.agent.c)
		out = append(out, fc)
		startFailMedia(t, fc)
	}
	for _, fc := range out {
		waitHeard(t, fc, 20, 20*time.Second)
	}
	return out
}

// startFailMedia opens both sides' media and sends on it until the test
// ends.
func startFailMedia(t *testing.T, fc *failCall) {
	t.Helper()
	for _, p := range []*failParty{fc.station, fc.agent} {
		m, err := p.c.StartMedia(ctxT(t), fc.id, client.MediaOptions{OnPacket: p.onPacket})
		if err != nil {
			t.Fatalf("media of %s: %v", p.name, err)
		}
		p.m.Store(m)
	}
	go fc.send()
	t.Cleanup(func() {
		close(fc.stop)
		<-fc.done
		for _, p := range []*failParty{fc.station, fc.agent} {
			if m := p.m.Load(); m != nil {
				m.Close()
			}
		}
	})
}

// waitHeard waits until both sides of fc heard more audio packets of the
// other side, counting from now.
func waitHeard(t *testing.T, fc *failCall, more int, within time.Duration) {
	t.Helper()
	s0, a0 := fc.station.heardCount(), fc.agent.heardCount()
	deadline := time.Now().Add(within)
	for fc.station.heardCount() < s0+more || fc.agent.heardCount() < a0+more {
		if time.Now().After(deadline) {
			t.Fatalf("call %s: audio does not flow both ways (station heard %d, agent %d)",
				fc.id, fc.station.heardCount()-s0, fc.agent.heardCount()-a0)
		}
		time.Sleep(client.FrameInterval)
	}
}

// recover brings one side of a call back after a node died, as the web
// client does: a socket that dropped is resumed through the load balancer;
// a call that moved (call.started with "moved", or a welcome carrying it)
// gets a new PeerConnection. It returns the call.started data it got.
func (p *failParty) recover(ctx context.Context, callID string, moved bool) (map[string]any, error) {
	for {
		select {
		case <-p.c.Done():
			back, err := p.c.Resume(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil, fmt.Errorf("%s: resume: %w", p.name, err)
				}
				time.Sleep(200 * time.Millisecond)
				continue
			}
			p.c = back
			var w struct {
				Call map[string]any `json:"call"`
			}
			json.Unmarshal(back.Welcome.Data, &w)
			if w.Call["call_id"] != callID {
				return nil, fmt.Errorf("%s: resumed without call %s: %s", p.name, callID, back.Welcome.Data)
			}
			if !moved || w.Call["moved"] == true {
				return w.Call, p.renegotiate(ctx, callID, moved)
			}
		default:
		}
		if !moved {
			return nil, nil
		}
		nctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		m, err := p.c.Next(nctx, "call.started")
		cancel()
		if err == nil {
			var d map[string]any
			json.Unmarshal(m.Data, &d)
			if d["call_id"] == callID && d["moved"] == true {
				return d, p.renegotiate(ctx, callID, true)
			}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: call %s did not come back", p.name, callID)
		}
	}
}

// renegotiate makes a new PeerConnection for a call that moved.
func (p *failParty) renegotiate(ctx context.Context, callID string, moved bool) error {
	if !moved {
		return nil
	}
	if old := p.m.Swap(nil); old != nil {
		old.Close()
	}
	m, err := p.c.StartMedia(ctx, callID, client.MediaOptions{OnPacket: p.onPacket})
	if err != nil {
		return fmt.Errorf("%s: new media for call %s: %w", p.name, callID, err)
	}
	p.m.Store(m)
	return nil
}

// startCaseCall has station request a call that agent accepts, and
// returns the call's id and case id.
func startCaseCall(t *testing.T, station, agent *client.Client) (string, string) {
	t.Helper()
	var queued client.Message
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if queued, err = station.Request(ctxT(t), "call.request", map[string]any{"item_id": "mi-001"}); err == nil {
			break
		}
		if client.ErrCode(err) != "no_agents" || time.Now().After(deadline) {
			t.Fatalf("call.request: %v", err)
		}
	}
	reqID := field[string](t, queued, "request_id")
	awaitOffer(t, agent, reqID)
	started := request(t, agent, "call.accept", map[string]string{"request_id": reqID})
	callID, caseID := field[string](t, started, "call_id"), field[string](t, started, "case_id")
	if got := field[string](t, next(t, station, "call.started"), "call_id"); got != callID {
		t.Fatalf("station in call %s, agent in %s", got, callID)
	}
	return callID, caseID
}

// awaitOffer waits until agent is offered reqID. On a cluster shared by
// several tests, a request of an earlier test's station may still wait: a
// station whose connection closed keeps its place for the resume grace, in
// case it comes back. Such a request, offered first, is declined.
func awaitOffer(t *testing.T, agent *client.Client, reqID string) {
	t.Helper()
	deadline := time.Now().Add(clusterResumeGrace + 15*time.Second)
	for {
		got := field[string](t, next(t, agent, "call.offer"), "request_id")
		if got == reqID {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent offered %s, want %s", got, reqID)
		}
		t.Logf("agent offered %s, an earlier test's request, while waiting for %s: declined", got, reqID)
		request(t, agent, "call.reject", map[string]string{"request_id": got})
	}
}

// reload closes p's page and opens it again on the node at url, resuming
// its session as the web client does after a reload; the page makes a new
// PeerConnection. moves says the call moves with it (p is its agent).
func (p *failParty) reload(t *testing.T, url, callID string, moves bool) {
	t.Helper()
	var w struct {
		SessionID   string         `json:"session_id"`
		ResumeToken string         `json:"resume_token"`
		Resumed     bool           `json:"resumed"`
		Call        map[string]any `json:"call"`
	}
	json.Unmarshal(p.c.Welcome.Data, &w)
	if old := p.m.Swap(nil); old != nil {
		old.Close()
	}
	p.c.Close()
	back, err := client.Dial(ctxT(t), url, p.token, w.SessionID, w.ResumeToken)
	if err != nil {
		t.Fatalf("%s: reload onto %s: %v", p.name, url, err)
	}
	p.c = back
	sid := w.SessionID
	json.Unmarshal(back.Welcome.Data, &w)
	if !w.Resumed || w.SessionID != sid || w.Call["call_id"] != callID {
		t.Fatalf("%s: reload onto %s did not resume session %s in call %s: %s", p.name, url, sid, callID, back.Welcome.Data)
	}
	if moves {
		started := next(t, back, "call.started")
		if field[string](t, started, "call_id") != callID || !field[bool](t, started, "moved") {
			t.Fatalf("%s: the call did not move with the agent: %s", p.name, started.Data)
		}
	}
	if err := p.renegotiate(ctxT(t), callID, true); err != nil {
		t.Fatal(err)
	}
}

// waiter is a station waiting in the queue, signed in to a given node.
type waiter struct {
	p         *failParty
	requestID string
	position  float64
}

// waitOn signs n new stations in to node directly and has each ask for a
// call, which waits: every agent is busy.
func waitOn(t *testing.T, env map[string]string, node string, n int) []*waiter {
	t.Helper()
	i, _ := strconv.Atoi(strings.TrimPrefix(node, "node"))
	nodeURL := strings.Fields(env["CLUSTER_NODE_URLS"])[i-1]
	admin, err := client.Login(ctxT(t), env["CLUSTER_URL"], "admin", "demo")
	if err != nil {
		t.Fatal(err)
	}
	var out []*waiter
	for j := range n {
		p := &failParty{name: fmt.Sprintf("fw%d", j)}
		p.password = adminCreate(t, env["CLUSTER_URL"], admin, "/api/v1/admin/stations",
			map[string]any{"username": p.name, "name": "等候帮办点" + p.name, "region": "沈家门街道"})
		loginDial(t, nodeURL, p)
		queued := request(t, p.c, "call.request", map[string]any{"item_id": "mi-001"})
		out = append(out, &waiter{p: p, requestID: field[string](t, queued, "request_id"), position: field[float64](t, queued, "position")})
	}
	return out
}

// comeBack resumes the waiting station through the load balancer after its
// node died, and checks that it kept its request and its place.
func (w *waiter) comeBack(t *testing.T, url string) {
	t.Helper()
	var welcome struct {
		SessionID   string `json:"session_id"`
		ResumeToken string `json:"resume_token"`
		Resumed     bool   `json:"resumed"`
		Waiting     *struct {
			RequestID string  `json:"request_id"`
			Position  float64 `json:"position"`
		} `json:"waiting"`
	}
	json.Unmarshal(w.p.c.Welcome.Data, &welcome)
	w.p.c.Close()
	back, err := client.Dial(ctxT(t), url, w.p.token, welcome.SessionID, welcome.ResumeToken)
	if err != nil {
		t.Fatalf("%s: resume through the load balancer: %v", w.p.name, err)
	}
	w.p.c = back
	json.Unmarshal(back.Welcome.Data, &welcome)
	if !welcome.Resumed || welcome.Waiting == nil || welcome.Waiting.RequestID != w.requestID || welcome.Waiting.Position != w.position {
		t.Fatalf("%s: after its node died: %s; want request %s at place %v", w.p.name, back.Welcome.Data, w.requestID, w.position)
	}
}

// leave cancels the waiting request: the resident goes home.
func (w *waiter) leave(t *testing.T) {
	t.Helper()
	request(t, w.p.c, "call.cancel", map[string]string{"request_id": w.requestID})
}
