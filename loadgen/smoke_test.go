package loadgen

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
)

// startNode runs a node on loopback whose data dir already holds the load
// accounts.
func startNode(t *testing.T, stations, agents int) *node.Node {
	t.Helper()
	return startNodeWith(t, stations, agents, nil)
}

// startNodeWith is startNode with changes to the node's configuration.
func startNodeWith(t *testing.T, stations, agents int, change func(*node.Config)) *node.Node {
	t.Helper()
	dir := t.TempDir()
	if err := PrepareDataDir(context.Background(), dir, stations, agents, DefaultPassword); err != nil {
		t.Fatalf("prepare data dir: %v", err)
	}
	cfg := node.Config{
		Addr: "127.0.0.1:0", DataDir: dir, LoopbackOnly: true, UDPPort: 0, TCPPort: -1,
		Logger: quietLogger(),
	}
	if change != nil {
		change(&cfg)
	}
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSmokeCallsCompleteAndMediaFlowsBothWays(t *testing.T) {
	n := startNode(t, 3, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	// Each call talks for 6 s after its first packet, so that every track
	// has come in even on a machine so loaded that tracks start seconds apart.
	rep, err := Run(ctx, "smoke", Config{
		BaseURL: n.URL(), Stations: 3, Agents: 3, TotalCalls: 3,
		Duration: 30 * time.Second, CallLength: 6 * time.Second, AcceptDelay: 100 * time.Millisecond,
		GreenShare: 0.34, Media: Media{Source: MediaClip}, Logger: quietLogger(),
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rep.Calls.Completed != 3 || rep.Calls.Failed != 0 {
		t.Fatalf("calls: %+v, want 3 completed and none failed", rep.Calls)
	}
	want := []string{"agent→station audio", "agent→station camera", "station→agent audio", "station→agent camera"}
	if len(rep.Tracks) != len(want) {
		t.Fatalf("tracks %+v, want %v", rep.Tracks, want)
	}
	for i, tr := range rep.Tracks {
		if tr.Track != want[i] || tr.Calls != 3 || tr.Received == 0 || tr.Sent < tr.Received {
			t.Errorf("track %+v: want %s received in 3 calls, no more than sent", tr, want[i])
		}
	}
	if rep.Window.ForwardedPPS <= 0 {
		t.Errorf("the node forwarded nothing in the window: %+v", rep.Window)
	}
	if p := rep.Setup["accept→media both ends"]; p.N != 3 {
		t.Errorf("setup of %d calls measured, want 3", p.N)
	}
	var out strings.Builder
	rep.Print(&out)
	t.Log("\n" + out.String())
	if !strings.Contains(out.String(), "3 completed") {
		t.Errorf("printed report lacks the call count:\n%s", out.String())
	}
}

func TestRunFailsWhenCallsFailBeyondTheThreshold(t *testing.T) {
	n := startNode(t, 2, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, "bad item", Config{
		BaseURL: n.URL(), Stations: 2, Agents: 1, TotalCalls: 2, Duration: 8 * time.Second,
		Items: []string{"no-such-item"}, MaxFailedShare: 0.05, Logger: quietLogger(),
	})
	if !errors.Is(err, ErrTooManyFailures) {
		t.Fatalf("error %v, want ErrTooManyFailures", err)
	}
	if rep == nil || rep.Calls.Failed != 2 || rep.Calls.Failures["request: not_found"] != 2 {
		t.Fatalf("report %+v, want both requests failed as not_found", rep)
	}
}

func TestSetupOnStandingConnections(t *testing.T) {
	for _, tc := range []struct {
		name       string
		preconnect bool
		standing   int
	}{
		{"the node adopts them", true, 3},
		{"a node without them connects per call", false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startNodeWith(t, 3, 3, func(c *node.Config) { c.PreconnectMedia = tc.preconnect })
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			rep, err := SetupTimes(ctx, Config{BaseURL: n.URL(), Standing: true, Logger: quietLogger()}, 3)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if rep.Calls.Completed != 3 || rep.Calls.Standing != tc.standing {
				t.Fatalf("calls %+v: want 3 completed, %d of them on standing connections", rep.Calls, tc.standing)
			}
			if p := rep.Setup["accept→media both ends"]; p.N != 3 {
				t.Errorf("setup of %d calls measured, want 3", p.N)
			}
		})
	}
}
