package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"cloudwindow/calls"
	"cloudwindow/node"
)

// crashChildEnv holds the data dir of a node that the test binary runs as
// a child process, for a test to kill with SIGKILL.
const crashChildEnv = "CLOUDWINDOW_E2E_CRASH_NODE_DIR"

// TestCrashChildNode is no test of its own: it is the node crashMidCall
// runs in a child process and kills. It prints its URL and serves until
// killed.
func TestCrashChildNode(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("runs only as the child process of the crash tests")
	}
	n, err := node.Start(context.Background(), node.Config{
		Addr: "127.0.0.1:0", DataDir: dir, Demo: true, LoopbackOnly: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard,
	})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	fmt.Printf("URL %s\n", n.URL())
	select {} // until the parent kills this process
}

// crashMidCall runs a node on dir in a child process, starts a call from
// station1 to agent1 on it, and kills the process with SIGKILL, as a power
// cut would: nothing gets to end the call. It returns the call's id.
func crashMidCall(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChildNode$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the node process: %v", err)
	}
	urls, exited := make(chan string, 1), make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "URL "); ok {
				urls <- u
			}
		}
		cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("node process output:\n%s", stderr.String())
		}
	})
	var url string
	select {
	case url = <-urls:
	case <-exited:
		t.Fatal("the node process exited before serving")
	case <-time.After(time.Minute):
		t.Fatal("the node process did not start within a minute")
	}
	station, agent := dialURL(t, url, "station1"), dialURL(t, url, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, "mi-001")
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill the node process: %v", err)
	}
	<-exited
	return callID
}

func TestNodeKilledMidCallClosesTheCallAndItsAgentWrapsUpTheCase(t *testing.T) {
	dir := t.TempDir()
	callID := crashMidCall(t, dir)
	n := startNode(t, func(c *node.Config) { c.DataDir = dir })
	supTok, agTok, otherTok := token(t, n, "supervisor1"), token(t, n, "agent1"), token(t, n, "agent2")

	// The restarted node has closed the call it lost.
	var live struct{ Calls []calls.Call }
	api(t, n, "GET", "/api/v1/calls/live", supTok, nil, &live)
	if slices.ContainsFunc(live.Calls, func(c calls.Call) bool { return c.ID == callID }) {
		t.Errorf("call %s still listed as live after the restart", callID)
	}
	rec, err := n.Calls.Get(context.Background(), callID)
	if err != nil || rec.EndReason != calls.EndReasonNodeLost || rec.EndedAt.IsZero() {
		t.Fatalf("call record after the restart: %+v, %v; want ended as node_lost", rec, err)
	}

	// Its case waits among the agent's unfinished cases.
	var list struct {
		Cases []struct {
			ID            string `json:"id"`
			CallID        string `json:"call_id"`
			State         string `json:"state"`
			CallEndReason string `json:"call_end_reason"`
		} `json:"cases"`
	}
	api(t, n, "GET", "/api/v1/cases/unfinished", agTok, nil, &list)
	if len(list.Cases) != 1 || list.Cases[0].CallID != callID || list.Cases[0].CallEndReason != calls.EndReasonNodeLost {
		t.Fatalf("agent1's unfinished cases = %+v, want the lost call's case", list.Cases)
	}
	caseID := list.Cases[0].ID
	wrapUp := map[string]any{"outcome": "forwarded", "notes": "通话中断，已电话告知居民"}
	if code := api(t, n, "POST", "/api/v1/cases/"+caseID+"/wrapup", otherTok, wrapUp, nil); code != 403 {
		t.Errorf("another agent wraps up the case: %d, want 403", code)
	}
	var done struct {
		State   string `json:"state"`
		DueDate string `json:"due_date"`
	}
	if code := api(t, n, "POST", "/api/v1/cases/"+caseID+"/wrapup", agTok, wrapUp, &done); code != 200 || done.State != "forwarded" || done.DueDate == "" {
		t.Fatalf("its agent wraps up the case: %d %+v, want forwarded with a due date", code, done)
	}
	if rec, _ := n.Calls.Get(context.Background(), callID); rec.Outcome != "forwarded" {
		t.Errorf("call record outcome %q, want forwarded", rec.Outcome)
	}
	api(t, n, "GET", "/api/v1/cases/unfinished", agTok, nil, &list)
	if len(list.Cases) != 0 {
		t.Errorf("unfinished cases after the wrap-up: %+v", list.Cases)
	}
}
