package queue

import (
	"encoding/json"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudwindow/bus"
	"cloudwindow/bus/bustest"
)

// TestClusterReadsEarlierWholeState: a leader of this version taking over
// from one of an earlier version, which saved the whole queue as one value,
// restores that value once (rather than entries a leader of this version
// left there before) and from then on keeps entries only.
func TestClusterReadsEarlierWholeState(t *testing.T) {
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") == "" {
		t.Skip("CLOUDWINDOW_TEST_REDIS is not set")
	}
	client, prefix := bustest.OpenRedis(t)
	ctx := t.Context()
	key := prefix + "queue-leader"
	clock := newFakeClock()
	r1 := request("r1", "s1", "medicare")
	r1.EnqueuedAt = clock.Now().Add(-time.Minute)
	var earlier struct {
		Term  uint64 `json:"term"`
		Queue struct {
			Seq         uint64          `json:"seq"`
			Requests    []savedRequest  `json:"requests"`
			Agents      []savedAgent    `json:"agents"`
			HandleTimes []time.Duration `json:"handle_times"`
		} `json:"queue"`
	}
	earlier.Term, earlier.Queue.Seq = 7, 2
	earlier.Queue.Requests = []savedRequest{{Request: r1, Seq: 2}}
	earlier.Queue.Agents = []savedAgent{{Agent: Agent{ID: "a1", Generalist: true}, State: WrapUp, ReadySeq: 1, WrapUpLeft: 30 * time.Second}}
	data, err := json.Marshal(earlier)
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := json.Marshal(savedRequest{Request: request("stale", "s9", "medicare"), Seq: 1})
	if err := client.Set(ctx, key+":state", data, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	client.HSet(ctx, key+":requests", "stale", stale)
	client.ZAdd(ctx, key+":order", redis.Z{Score: 1, Member: "stale"})

	be := backend{
		newBus: func() bus.Bus {
			b := bus.NewRedis(client, prefix, slog.New(slog.DiscardHandler))
			t.Cleanup(func() { b.Close() })
			return b
		},
		lock: NewRedisLocker(client, key),
	}
	h := &harness{t: t, ctx: ctx, clock: clock, rec: newRecorder()}
	c := startNode(t, failoverConfig(clock), be, "a", h.rec)
	h.q = c
	waitUntil(t, "a leads", c.IsLeader)

	if req, pos, ok := c.Waiting(ctx, "s1"); !ok || pos.Position != 1 || !req.EnqueuedAt.Equal(r1.EnqueuedAt) {
		t.Fatalf("s1 waits: %t at %d since %s; want at 1 since %s", ok, pos.Position, req.EnqueuedAt, r1.EnqueuedAt)
	}
	if st := c.Stats(ctx); st.Waiting != 1 {
		t.Fatalf("%d waiting, want only r1", st.Waiting)
	}
	h.wantState("a1", WrapUp)
	if n := client.Exists(ctx, key+":state").Val(); n != 0 {
		t.Fatal("the earlier whole-queue value is still there")
	}
	if ids := client.ZRange(ctx, key+":order", 0, -1).Val(); len(ids) != 1 || ids[0] != "r1" {
		t.Fatalf("saved requests %q, want [r1]", ids)
	}
	clock.Advance(30 * time.Second) // what was left of a1's wrap-up
	h.wantState("a1", Ready)
}
