package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloudwindow/client"
)

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
			lost = append(lost, int(fc.agent.maxGap))
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
	if !t.Run("node killed mid-call", func(t *testing.T) { testNodeKilledMidCall(t, env) }) {
		return
	}
	t.Run("a dead node's call nobody comes back to is closed", func(t *testing.T) { testLostCallClosed(t, env) })
}

// testLostCallClosed closes both pages of a call and kills its node: once
// the node has been dead for the resume grace, a survivor closes the call,
// which leaves the live list.
func testLostCallClosed(t *testing.T, env map[string]string) {
	url := env["CLUSTER_URL"]
	fc := startFailCalls(t, url, 1, "l")[0]
	node := busiest(t, url, []*failCall{fc})
	fc.station.c.Close()
	fc.agent.c.Close()
	if err := syscall.Kill(nodePIDs(t, env["CLUSTER_DIR"])[node], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(clusterResumeGrace + 30*time.Second); ; time.Sleep(time.Second) {
		live := liveCalls(t, url)
		if _, ok := live[fc.id]; !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s of the dead %s still live: %v", fc.id, node, live)
		}
	}
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
	for _, w := range waiting {
		w.leave(t)
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

// durationsSummary prints p50 and p95 of ds.
func durationsSummary(ds []time.Duration) string {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	if len(ds) == 0 {
		return "none"
	}
	at := func(q float64) time.Duration { return ds[min(len(ds)-1, int(q*float64(len(ds))))] }
	return fmt.Sprintf("p50 %v, p95 %v (n=%d)", at(0.5).Round(time.Millisecond), at(0.95).Round(time.Millisecond), len(ds))
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
