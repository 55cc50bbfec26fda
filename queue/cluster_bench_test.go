package queue

import (
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkClusterEnqueue measures a station joining and leaving the queue
// through a node that does not lead. One op is two calls forwarded to the
// leader, each with a routing decision, the state saved through the Locker
// and the events published and heard back before the call returns.
func BenchmarkClusterEnqueue(b *testing.B) {
	for _, be := range backends() {
		for _, waiting := range []int{10, 100, 1000} {
			b.Run(fmt.Sprintf("%s/%d waiting", be.name, waiting), func(b *testing.B) {
				benchClusterEnqueue(b, be.open(b), waiting)
			})
		}
	}
}

func benchClusterEnqueue(b *testing.B, be backend, waiting int) {
	cfg := Config{Logger: slog.New(slog.DiscardHandler)}
	leader := startNode(b, cfg, be, "a", nil)
	waitUntil(b, "a leads", leader.IsLeader)
	follower := startNode(b, cfg, be, "b", nil)
	ctx := b.Context()
	// Filled on the leader's Local directly: the same state, without a
	// round trip per request.
	local := leader.currentLeader().local
	for i := range waiting {
		r := request(fmt.Sprintf("r%d", i), fmt.Sprintf("s%d", i), fmt.Sprintf("group%d", i%10))
		r.Green = i%10 == 3
		if _, err := local.Enqueue(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 20 {
		if err := follower.AgentOnline(ctx, Agent{ID: fmt.Sprintf("a%d", i), Skills: []string{fmt.Sprintf("group%d", i%10)}}); err != nil {
			b.Fatal(err)
		}
	}
	r := request("extra", "extra-station", "group1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := follower.Enqueue(ctx, r); err != nil {
			b.Fatal(err)
		}
		if err := follower.Cancel(ctx, r.StationID, r.ID); err != nil {
			b.Fatal(err)
		}
	}
}
