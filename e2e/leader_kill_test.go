package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"cloudwindow/client"
	"cloudwindow/node"
)

// clusterChildEnv holds, as JSON, the cluster settings of a node that the
// test binary runs as a child process, for a test to kill with SIGKILL.
const clusterChildEnv = "CLOUDWINDOW_E2E_CLUSTER_NODE"

// childSettings are the settings a cluster node takes from clusterConfig.
type childSettings struct {
	NodeName, RedisURL, RedisPrefix, KeyEncryptionKey, DataDir, DatabaseURL string
}

// TestClusterChildNode is no test of its own: it is the cluster node
// startClusterChild runs in a child process. It prints its URL and serves
// until killed.
func TestClusterChildNode(t *testing.T) {
	spec := os.Getenv(clusterChildEnv)
	if spec == "" {
		t.Skip("runs only as the child process of the leader kill test")
	}
	var s childSettings
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		t.Fatal(err)
	}
	n, err := node.Start(context.Background(), node.Config{
		Addr: "127.0.0.1:0", Demo: true, LoopbackOnly: true, BcryptCost: bcrypt.MinCost,
		NodeName: s.NodeName, RedisURL: s.RedisURL, RedisPrefix: s.RedisPrefix,
		KeyEncryptionKey: s.KeyEncryptionKey, DataDir: s.DataDir, DatabaseURL: s.DatabaseURL,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), Out: io.Discard,
	})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	fmt.Printf("URL %s\n", n.URL())
	select {} // until the parent kills this process
}

// startClusterChild runs a node of the cluster in a child process and
// returns a function that kills it with SIGKILL, as a power cut would.
func startClusterChild(t *testing.T, config func(*node.Config)) (kill func()) {
	t.Helper()
	var c node.Config
	config(&c)
	spec, err := json.Marshal(childSettings{
		NodeName: c.NodeName, RedisURL: c.RedisURL, RedisPrefix: c.RedisPrefix,
		KeyEncryptionKey: c.KeyEncryptionKey, DataDir: c.DataDir, DatabaseURL: c.DatabaseURL,
	})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterChildNode$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), clusterChildEnv+"="+string(spec))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the node process: %v", err)
	}
	serving, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "URL ") {
				close(serving)
			}
		}
		cmd.Wait()
	}()
	kill = func() {
		cmd.Process.Signal(syscall.SIGKILL)
		<-exited
	}
	t.Cleanup(func() {
		kill()
		if t.Failed() {
			t.Logf("node process output:\n%s", stderr.String())
		}
	})
	select {
	case <-serving:
	case <-exited:
		t.Fatalf("the node process exited before serving:\n%s", stderr.String())
	case <-time.After(time.Minute):
		t.Fatal("the node process did not start within a minute")
	}
	return kill
}

// queueLeader is the node that holds the queue's lock, "" if none.
func queueLeader(t *testing.T, redisURL, prefix string) string {
	t.Helper()
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	holder, _ := c.Get(ctxT(t), prefix+"queue-leader").Result()
	name, _, _ := strings.Cut(holder, "/")
	return name
}

// TestLeaderKillKeepsWaitingStations kills the node that runs the queue
// (SIGKILL) while two stations wait on another node. The surviving node
// takes the queue over: each station is told its same place again, and the
// first agent to turn ready is offered the first station's request.
func TestLeaderKillKeepsWaitingStations(t *testing.T) {
	redisURL := os.Getenv("CLOUDWINDOW_TEST_REDIS")
	if redisURL == "" {
		t.Skip("CLOUDWINDOW_TEST_REDIS is not set: no Redis for a cluster")
	}
	nodeCfg := clusterConfig(t, redisURL)
	var settings node.Config
	nodeCfg("")(&settings)
	kill := startClusterChild(t, nodeCfg("node-a")) // first up: it leads
	b := startNode(t, nodeCfg("node-b"))
	if leader := queueLeader(t, redisURL, settings.RedisPrefix); leader != "node-a" {
		t.Fatalf("the queue is led by %q, want node-a", leader)
	}

	agent := dial(t, b, "agent1") // signed in, not ready: the item can be served
	var stations []*client.Client
	var requests []string
	for i, name := range []string{"station1", "island1"} {
		station := dial(t, b, name)
		queued := requestQueued(t, station, "mi-001")
		if pos := field[int](t, queued, "position"); pos != i+1 {
			t.Fatalf("%s waits at %d, want %d", name, pos, i+1)
		}
		next(t, station, "queue.position") // as it joined
		stations, requests = append(stations, station), append(requests, field[string](t, queued, "request_id"))
	}

	kill()
	for i, station := range stations {
		pos := next(t, station, "queue.position") // from the new leader
		if id, at := field[string](t, pos, "request_id"), field[int](t, pos, "position"); id != requests[i] || at != i+1 {
			t.Errorf("station %d told %s at %d after the leader died, want %s at %d", i+1, id, at, requests[i], i+1)
		}
	}
	if leader := queueLeader(t, redisURL, settings.RedisPrefix); leader != "node-b" {
		t.Errorf("the queue is led by %q, want node-b", leader)
	}
	ready(t, agent)
	if got := field[string](t, next(t, agent, "call.offer"), "request_id"); got != requests[0] {
		t.Errorf("agent1 was offered %s first, want station1's request %s", got, requests[0])
	}
}
