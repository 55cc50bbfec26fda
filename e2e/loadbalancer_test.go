package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cloudwindow/client"
)

// clusterResumeGrace is the resume grace of the script's nodes in tests.
const clusterResumeGrace = 15 * time.Second

// startScriptCluster runs scripts/cluster (PostgreSQL, Redis, coturn, three
// nodes, HAProxy with TLS) and returns its settings (cluster.env). Slow:
// only with CLOUDWINDOW_TEST_CLUSTER set.
func startScriptCluster(t *testing.T) map[string]string {
	t.Helper()
	if os.Getenv("CLOUDWINDOW_TEST_CLUSTER") == "" {
		t.Skip("CLOUDWINDOW_TEST_CLUSTER is not set: no cluster behind a load balancer")
	}
	// Not t.TempDir: its parent is closed to the postgres user.
	dir, err := os.MkdirTemp("", "cloudwindow-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	script := func(cmd string) ([]byte, error) {
		c := exec.Command("../scripts/cluster", cmd)
		// A short resume grace: a dead node's calls are closed sooner.
		c.Env = append(os.Environ(), "CLUSTER_DIR="+dir, "CLUSTER_RESUME_GRACE="+clusterResumeGrace.String())
		return c.CombinedOutput()
	}
	t.Cleanup(func() {
		script("down")
		os.RemoveAll(dir)
	})
	if out, err := script("up"); err != nil {
		t.Fatalf("scripts/cluster up: %v\n%s", err, out)
	}
	f, err := os.Open(dir + "/cluster.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	env := map[string]string{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			env[k] = v
		}
	}
	trustCA(t, env["CLUSTER_CA"])
	env["CLUSTER_DIR"] = dir
	return env
}

// trustCA makes the test's HTTP and WebSocket clients trust the cluster's
// self-signed certificate.
func trustCA(t *testing.T, file string) {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", file)
	}
	cfg := &tls.Config{RootCAs: pool}
	tr := http.DefaultTransport.(*http.Transport)
	oldHTTP, oldWS := tr.TLSClientConfig, websocket.DefaultDialer.TLSClientConfig
	tr.TLSClientConfig, websocket.DefaultDialer.TLSClientConfig = cfg, cfg
	t.Cleanup(func() { tr.TLSClientConfig, websocket.DefaultDialer.TLSClientConfig = oldHTTP, oldWS })
}

// TestCallThroughLoadBalancer signs an agent and a station in through
// HAProxy over TLS (round robin spreads them over the nodes) and has them
// call each other.
func TestCallThroughLoadBalancer(t *testing.T) {
	env := startScriptCluster(t)
	url := env["CLUSTER_URL"]
	resp, err := http.Get(url + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz through the load balancer: %v %v", resp, err)
	}
	resp.Body.Close()
	agent, station := dialURL(t, url, "agent2"), dialURL(t, url, "station1")
	ready(t, agent)
	var queued client.Message
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		queued, err = station.Request(ctxT(t), "call.request", map[string]any{"item_id": "mi-001"})
		if err == nil {
			break
		}
		if client.ErrCode(err) != "no_agents" || time.Now().After(deadline) {
			t.Fatalf("call.request through the load balancer: %v", err)
		}
	}
	offer := next(t, agent, "call.offer")
	if field[string](t, offer, "request_id") != field[string](t, queued, "request_id") {
		t.Fatalf("agent offered another request")
	}
	started := request(t, agent, "call.accept", map[string]string{"request_id": field[string](t, offer, "request_id")})
	callID := field[string](t, started, "call_id")
	if got := field[string](t, next(t, station, "call.started"), "call_id"); got != callID {
		t.Fatalf("station in call %s, want %s", got, callID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := station.Request(ctx, "call.hangup", map[string]string{"call_id": callID}); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	next(t, agent, "call.ended")
}
