package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloudwindow/client"
)

// The processes of the scripts/cluster cluster: which node holds what,
// killing a node and starting it again.

// liveCalls lists the live calls through the load balancer: node by id.
func liveCalls(t *testing.T, url string) map[string]string {
	t.Helper()
	token, err := client.Login(ctxT(t), url, "supervisor1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	_, body := httpGet(t, url+"/api/v1/calls/live", token)
	var live struct {
		Calls []struct {
			ID   string `json:"id"`
			Node string `json:"node"`
		} `json:"calls"`
	}
	if err := json.Unmarshal(body, &live); err != nil {
		t.Fatalf("live calls: %v: %s", err, body)
	}
	out := map[string]string{}
	for _, c := range live.Calls {
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
			p.maxGap = 0
			p.mu.Unlock()
		}
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	return victim, proc, time.Now()
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
