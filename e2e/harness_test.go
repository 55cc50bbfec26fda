package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/catalog"
	"cloudwindow/client"
	"cloudwindow/node"
)

// startNode runs a demo node on loopback for one test.
func startNode(t *testing.T, mod func(*node.Config)) *node.Node {
	t.Helper()
	cfg := node.Config{
		Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: true, LoopbackOnly: true, BcryptCost: bcrypt.MinCost,
		UDPPort: 0, TCPPort: 0, RingTimeout: 5 * time.Second, WrapUpTimeout: 30 * time.Second,
		ResumeGrace: 3 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)), Out: io.Discard,
	}
	if mod != nil {
		mod(&cfg)
	}
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// dial logs in as username (password "demo") and opens a session.
func dial(t *testing.T, n *node.Node, username string) *client.Client {
	t.Helper()
	return dialURL(t, n.URL(), username)
}

// dialURL is dial to the node at url.
func dialURL(t *testing.T, url, username string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	token, err := client.Login(ctx, url, username, "demo")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	c, err := client.Dial(ctx, url, token)
	if err != nil {
		t.Fatalf("dial %s: %v", username, err)
	}
	t.Cleanup(c.Close)
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func request(t *testing.T, c *client.Client, typ string, data any) client.Message {
	t.Helper()
	m, err := c.Request(ctxT(t), typ, data)
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	return m
}

func next(t *testing.T, c *client.Client, types ...string) client.Message {
	t.Helper()
	m, err := c.Next(ctxT(t), types...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return m
}

func field[T any](t *testing.T, m client.Message, name string) T {
	t.Helper()
	var d map[string]json.RawMessage
	if err := json.Unmarshal(m.Data, &d); err != nil {
		t.Fatalf("decode %s: %v", m.Type, err)
	}
	var v T
	if err := json.Unmarshal(d[name], &v); err != nil {
		t.Fatalf("%s.%s: %v", m.Type, name, err)
	}
	return v
}

// itemOf returns the id of the first catalog item in category.
func itemOf(t *testing.T, n *node.Node, category string) string {
	t.Helper()
	items, err := n.Catalog.Items(context.Background(), catalog.Query{Category: category})
	if err != nil || len(items) == 0 {
		t.Fatalf("catalog items of %s: %d, %v", category, len(items), err)
	}
	return items[0].ID
}

// ready signs an agent in as 就绪.
func ready(t *testing.T, agent *client.Client) {
	t.Helper()
	m := request(t, agent, "agent.state", map[string]string{"state": "ready", "reason": ""})
	if st := field[string](t, m, "state"); st != "ready" {
		t.Fatalf("agent state after ready: %s", st)
	}
}

func httpGet(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// waitAgentState reads agent.status pushes until the agent is in state.
func waitAgentState(t *testing.T, agent *client.Client, state string) {
	t.Helper()
	for {
		if st := field[string](t, next(t, agent, "agent.status"), "state"); st == state {
			return
		}
	}
}
