package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"cloudwindow/client"
)

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
	gapFrom   uint32 // lastHeard when the node was killed
	gapTo     uint32 // the first number heard after it
}

func (p *failParty) onPacket(_, track string, pkt *rtp.Packet) {
	n, ok := client.PayloadNumber(track, pkt.Payload)
	if track != "audio" || !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.heard++
	if p.gapFrom != 0 && p.gapTo == 0 && n > p.gapFrom {
		p.gapTo = n
	}
	p.lastHeard = n
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

// liveCalls lists the live calls through the load balancer, by id.
func liveCalls(t *testing.T, url string) map[string]string {
	t.Helper()
	token, err := client.Login(ctxT(t), url, "supervisor1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	_, body := httpGet(t, url+"/api/v1/calls/live", token)
	var list []struct {
		ID   string `json:"id"`
		Node string `json:"node"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		var wrapped struct {
			Calls []struct {
				ID   string `json:"id"`
				Node string `json:"node"`
			} `json:"calls"`
		}
		if err := json.Unmarshal(body, &wrapped); err != nil {
			t.Fatalf("live calls: %v: %s", err, body)
		}
		for _, c := range wrapped.Calls {
			list = append(list, struct {
				ID   string `json:"id"`
				Node string `json:"node"`
			}(c))
		}
	}
	out := map[string]string{}
	for _, c := range list {
		out[c.ID] = c.Node
	}
	return out
}

// nodePIDs reads which process runs each node of the script's cluster.
func nodePIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(dir + "/pids")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		pid, name, _ := strings.Cut(line, " ")
		if n, err := strconv.Atoi(pid); err == nil && strings.HasPrefix(name, "node") {
			out[name] = n
		}
	}
	return out
}

// restartable is how to start a killed node again, read from its process.
type restartable struct {
	name string
	env  []string
	args []string
}

func processOf(t *testing.T, pid int, name string) restartable {
	t.Helper()
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	args, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	split := func(b []byte) []string { return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00") }
	return restartable{name: name, env: split(env), args: split(args)}
}

// start runs the node again, logging next to the script's logs, until the
// test ends.
func (r restartable) start(t *testing.T, dir string) int {
	t.Helper()
	log, err := os.Create(fmt.Sprintf("%s/%s-restart-%d.log", dir, r.name, time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(r.args[0], r.args[1:]...)
	cmd.Env, cmd.Stdout, cmd.Stderr = r.env, log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		log.Close()
	})
	return cmd.Process.Pid
}

// busiest is the node that holds the most of calls (the first by name of
// those holding as many), noting in each call where it is.
func busiest(t *testing.T, url string, calls []*failCall) string {
	t.Helper()
	live := liveCalls(t, url)
	count := map[string]int{}
	for _, fc := range calls {
		fc.node = live[fc.id]
		if fc.node == "" {
			t.Fatalf("call %s is not live", fc.id)
		}
		count[fc.node]++
	}
	victim := ""
	for n, c := range count {
		if victim == "" || c > count[victim] || (c == count[victim] && n < victim) {
			victim = n
		}
	}
	return victim
}

// killBusiest kills -9 the node that holds the most of calls and returns
// its name and when it died.
func killBusiest(t *testing.T, env map[string]string, pids map[string]int, calls []*failCall) (string, restartable, time.Time) {
	t.Helper()
	victim := busiest(t, env["CLUSTER_URL"], calls)
	pid := pids[victim]
	if pid == 0 {
		t.Fatalf("no process for %s", victim)
	}
	proc := processOf(t, pid, victim)
	for _, fc := range calls {
		for _, p := range []*failParty{fc.station, fc.agent} {
			p.mu.Lock()
			p.gapFrom, p.gapTo = p.lastHeard, 0
			p.mu.Unlock()
		}
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	return victim, proc, time.Now()
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

// failover kills the node holding most of calls and checks that every call
// comes back, the same call with the same case, with audio both ways. It
// returns, for each call that was on the dead node, how long it took and
// how many audio packets the agent missed.
func failover(t *testing.T, env map[string]string, pids map[string]int, calls []*failCall) (string, restartable, []time.Duration, []int) {
	t.Helper()
	url := env["CLUSTER_URL"]
	victim, proc, killed := killBusiest(t, env, pids, calls)
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(calls))
	took := make([]time.Duration, len(calls))
	for i, fc := range calls {
		moved := fc.node == victim
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var inner sync.WaitGroup
			for _, p := range []*failParty{fc.station, fc.agent} {
				inner.Add(1)
				go func() {
					defer inner.Done()
					started, err := p.recover(ctx, fc.id, moved)
					if err != nil {
						errs <- err
						return
					}
					if moved && started["case_id"] != fc.caseID {
						errs <- fmt.Errorf("%s: call %s came back with case %v, want %s", p.name, fc.id, started["case_id"], fc.caseID)
					}
				}()
			}
			inner.Wait()
			if len(errs) > 0 {
				return
			}
			s0, a0 := fc.station.heardCount(), fc.agent.heardCount()
			for fc.station.heardCount() < s0+10 || fc.agent.heardCount() < a0+10 {
				if ctx.Err() != nil {
					errs <- fmt.Errorf("call %s: no audio both ways after the failover", fc.id)
					return
				}
				time.Sleep(client.FrameInterval)
			}
			took[i] = time.Since(killed)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	live := liveCalls(t, url)
	var times []time.Duration
	var lost []int
	for i, fc := range calls {
		if node := live[fc.id]; node == "" || node == victim {
			t.Errorf("call %s after %s died: live on %q", fc.id, victim, node)
		}
		if fc.node == victim {
			times = append(times, took[i])
			fc.agent.mu.Lock()
			lost = append(lost, int(fc.agent.gapTo)-int(fc.agent.gapFrom)-1)
			fc.agent.mu.Unlock()
		}
	}
	for id, node := range live {
		if node == victim {
			t.Errorf("call %s still live on the dead node %s", id, node)
		}
	}
	return victim, proc, times, lost
}

// TestClusterWithoutStickySessions runs, on one cluster behind HAProxy (no
// sticky sessions), a reload onto another node and then a node killed
// mid-call; one cluster start serves both.
func TestClusterWithoutStickySessions(t *testing.T) {
	env := startScriptCluster(t)
	if !t.Run("reload onto another node", func(t *testing.T) { testReloadOntoAnotherNode(t, env) }) {
		return
	}
	t.Run("node killed mid-call", func(t *testing.T) { testNodeKilledMidCall(t, env) })
}

// testNodeKilledMidCall runs three calls through HAProxy, kills -9 the
// node holding most of them, and checks that each comes back on a
// survivor within seconds: the same call and case, audio both ways, and
// no call left live on the dead node.
func testNodeKilledMidCall(t *testing.T, env map[string]string) {
	calls := startFailCalls(t, env["CLUSTER_URL"], 3, "k")
	waiting := waitOn(t, env, busiest(t, env["CLUSTER_URL"], calls), 2)
	victim, _, times, lost := failover(t, env, nodePIDs(t, env["CLUSTER_DIR"]), calls)
	t.Logf("killed %s: %d calls re-established in %v; audio packets the agent missed: %v", victim, len(times), times, lost)
	for _, w := range waiting {
		w.comeBack(t, env["CLUSTER_URL"])
	}
	for _, fc := range calls {
		if fc.node == victim {
			checkRecordedAcross(t, env["CLUSTER_URL"], fc)
			break
		}
	}
}

// checkRecordedAcross hangs up a call that moved and checks that its
// recording went on in a new part and its timeline marks the move.
func checkRecordedAcross(t *testing.T, url string, fc *failCall) {
	t.Helper()
	if _, err := fc.agent.c.Request(ctxT(t), "call.hangup", map[string]string{"call_id": fc.id}); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	token, err := client.Login(ctxT(t), url, "supervisor1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Files []struct {
			Party string `json:"party"`
			Part  int    `json:"part"`
		} `json:"files"`
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	resp, body := httpGet(t, url+"/api/v1/recordings/"+fc.id, token)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &d) != nil {
		t.Fatalf("recording of %s: %d %s", fc.id, resp.StatusCode, body)
	}
	parts, moved := map[string]int{}, false
	for _, f := range d.Files {
		parts[f.Party]++
	}
	for _, e := range d.Events {
		moved = moved || e.Type == "moved"
	}
	if parts["agent"] < 2 || parts["station"] < 2 || !moved {
		t.Fatalf("recording of %s: parts by party %v, moved in timeline %v; want a new part for each party and the move marked", fc.id, parts, moved)
	}
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
	offer := next(t, agent, "call.offer")
	if got := field[string](t, offer, "request_id"); got != reqID {
		t.Fatalf("agent offered %s, want %s", got, reqID)
	}
	started := request(t, agent, "call.accept", map[string]string{"request_id": reqID})
	callID, caseID := field[string](t, started, "call_id"), field[string](t, started, "case_id")
	if got := field[string](t, next(t, station, "call.started"), "call_id"); got != callID {
		t.Fatalf("station in call %s, agent in %s", got, callID)
	}
	return callID, caseID
}

// durationsSummary prints p50 and p95 of ds.
func durationsSummary(ds []time.Duration) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	if len(ds) == 0 {
		return "none"
	}
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return fmt.Sprintf("p50 %v, p95 %v (n=%d)", at(0.5).Round(time.Millisecond), at(0.95).Round(time.Millisecond), len(ds))
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

// testReloadOntoAnotherNode has the station, then the agent of a call made
// through HAProxy reload their pages onto a node other than the call's:
// each resumes the same session and the same call, the call moves with its
// agent, and audio flows both ways after each.
func testReloadOntoAnotherNode(t *testing.T, env map[string]string) {
	url := env["CLUSTER_URL"]
	fc := startFailCalls(t, url, 1, "r")[0]
	nodes := strings.Fields(env["CLUSTER_NODE_URLS"])
	from := liveCalls(t, url)[fc.id]
	i, err := strconv.Atoi(strings.TrimPrefix(from, "node"))
	if err != nil || i < 1 || i > len(nodes) {
		t.Fatalf("call %s on %q", fc.id, from)
	}
	to := fmt.Sprintf("node%d", i%len(nodes)+1)
	toURL := nodes[i%len(nodes)]

	fc.station.reload(t, toURL, fc.id, false)
	waitHeard(t, fc, 20, 20*time.Second)

	fc.agent.reload(t, toURL, fc.id, true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	started, err := fc.station.recover(ctx, fc.id, true)
	if err != nil {
		t.Fatal(err)
	}
	if started["case_id"] != fc.caseID {
		t.Fatalf("call %s moved with case %v, want %s", fc.id, started["case_id"], fc.caseID)
	}
	waitHeard(t, fc, 20, 20*time.Second)
	if node := liveCalls(t, url)[fc.id]; node != to {
		t.Fatalf("call %s live on %q after its agent moved to %s", fc.id, node, to)
	}
	if _, err := fc.agent.c.Request(ctxT(t), "call.hangup", map[string]string{"call_id": fc.id}); err != nil {
		t.Fatalf("hang up after the reloads: %v", err)
	}
	next(t, fc.station.c, "call.ended")
}

// TestNodeKillFigures measures, over CLOUDWINDOW_CLUSTER_TRIALS node kills,
// how long a call takes to flow again both ways and how many audio packets
// the agent missed. One call runs throughout: each trial kills the node
// holding it, and starts the node killed before again. Run it for
// BENCHMARKS.md:
//
//	CLOUDWINDOW_TEST_CLUSTER=1 CLOUDWINDOW_CLUSTER_TRIALS=10 go test -count=1 -run TestNodeKillFigures -v ./e2e/
func TestNodeKillFigures(t *testing.T) {
	trials, _ := strconv.Atoi(os.Getenv("CLOUDWINDOW_CLUSTER_TRIALS"))
	if trials <= 0 {
		t.Skip("CLOUDWINDOW_CLUSTER_TRIALS is not set: no node-kill figures")
	}
	env := startScriptCluster(t)
	var times []time.Duration
	var lost []int
	pids := nodePIDs(t, env["CLUSTER_DIR"])
	fc := startFailCalls(t, env["CLUSTER_URL"], 1, "b")[0]
	for trial := range trials {
		victim, proc, took, missed := failover(t, env, pids, []*failCall{fc})
		times, lost = append(times, took...), append(lost, missed...)
		t.Logf("trial %d: killed %s, call back in %v, agent missed %v audio packets", trial+1, victim, took, missed)
		pids[victim] = proc.start(t, env["CLUSTER_DIR"])
		waitNodeReady(t, env, victim)
	}
	sort.Ints(lost)
	t.Logf("call re-established after a node kill: %s; audio packets lost (agent side, 50/s): median %d, max %d",
		durationsSummary(times), lost[len(lost)/2], lost[len(lost)-1])
}

// waitNodeReady waits until node answers /readyz again.
func waitNodeReady(t *testing.T, env map[string]string, node string) {
	t.Helper()
	i, _ := strconv.Atoi(strings.TrimPrefix(node, "node"))
	u := strings.Fields(env["CLUSTER_NODE_URLS"])[i-1]
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if resp, err := http.Get(u + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				time.Sleep(5 * time.Second) // HAProxy's checks take it back (rise 2, inter 2s)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not come back", node)
		}
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
