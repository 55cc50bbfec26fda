package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"cloudwindow/client"
	"cloudwindow/node"
)

// startCluster runs two nodes sharing one store and one Redis.
func startCluster(t *testing.T) (*node.Node, *node.Node) {
	t.Helper()
	redisURL := os.Getenv("CLOUDWINDOW_TEST_REDIS")
	if redisURL == "" {
		t.Skip("CLOUDWINDOW_TEST_REDIS is not set: no Redis for a cluster")
	}
	return startClusterOn(t, redisURL)
}

// startClusterOn runs two nodes sharing one store and the Redis at redisURL.
func startClusterOn(t *testing.T, redisURL string) (*node.Node, *node.Node) {
	t.Helper()
	nodeCfg := clusterConfig(t, redisURL)
	return startNode(t, nodeCfg("node-a")), startNode(t, nodeCfg("node-b"))
}

// clusterConfig returns the settings of a cluster's nodes by name: one
// store, the Redis at redisURL.
func clusterConfig(t *testing.T, redisURL string) func(name string) func(*node.Config) {
	dir := t.TempDir()
	prefix := "cw-test-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12] + ":"
	// Every node of a cluster needs the same key-encryption key.
	kek := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	return func(name string) func(*node.Config) {
		return func(c *node.Config) {
			c.NodeName, c.RedisURL, c.RedisPrefix = name, redisURL, prefix
			c.KeyEncryptionKey = kek
			c.DataDir = filepath.Join(dir, name)
			c.DatabaseURL = filepath.Join(dir, "shared.db")
		}
	}
}

func TestCallAcrossTwoNodes(t *testing.T) {
	a, b := startCluster(t)
	station := dial(t, a, "station1") // the station on node A
	agent := dial(t, b, "agent1")     // the agent on node B
	ready(t, agent)
	// The station on A learns that an agent on B can serve it, and the
	// offer reaches B.
	var callID string
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := station.Request(ctxT(t), "call.request", map[string]any{"item_id": "mi-001"})
		if err == nil {
			break
		}
		if client.ErrCode(err) != "no_agents" || time.Now().After(deadline) {
			t.Fatalf("call.request on node A: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	offer := next(t, agent, "call.offer")
	started := request(t, agent, "call.accept", map[string]string{"request_id": field[string](t, offer, "request_id")})
	callID = field[string](t, started, "call_id")
	if got := field[string](t, next(t, station, "call.started"), "call_id"); got != callID {
		t.Fatalf("station on A got call %s, want %s", got, callID)
	}

	// Media: the station's PeerConnection goes to node B, which holds the room.
	atStation, atAgent := &receivedLog{counts: map[string]int{}}, &receivedLog{counts: map[string]int{}}
	sm, err := station.StartMedia(ctxT(t), callID, client.MediaOptions{OnPacket: atStation.onPacket})
	if err != nil {
		t.Fatalf("station media through node A: %v", err)
	}
	am, err := agent.StartMedia(ctxT(t), callID, client.MediaOptions{OnPacket: atAgent.onPacket})
	if err != nil {
		t.Fatalf("agent media: %v", err)
	}
	sendUntil(t, []*client.Media{sm, am}, func() bool {
		s, _ := atStation.snapshot()
		g, _ := atAgent.snapshot()
		return s["agent-main/camera"] >= 30 && g["station-main/camera"] >= 30
	})
	if b.SFU.Room(callID) == nil || a.SFU.Room(callID) != nil {
		t.Errorf("room should be on node B only")
	}

	// Chat and hang-up cross the nodes too.
	request(t, station, "chat.send", map[string]string{"call_id": callID, "text": "您好"})
	if txt := field[string](t, next(t, agent, "chat.message"), "text"); txt != "您好" {
		t.Errorf("agent got %q", txt)
	}
	request(t, station, "call.hangup", map[string]string{"call_id": callID})
	for _, c := range []*client.Client{station, agent} {
		if by := field[string](t, next(t, c, "call.ended"), "by"); by != "station" {
			t.Errorf("ended by %s", by)
		}
	}
	if b.SFU.Room(callID) != nil {
		t.Errorf("room still open on node B")
	}
}
