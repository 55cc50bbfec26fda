package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"cloudwindow/bus"
	"cloudwindow/bus/bustest"
)

// TestClusterFigures measures, on the Redis of CLOUDWINDOW_TEST_REDIS, the
// "Cluster" figures of BENCHMARKS.md: leader failover with 1,000 waiting,
// routing decisions with 1,000 waiting, and what each queue change costs
// to save, whole (as earlier versions did) and entry by entry. It takes
// about two minutes, so it runs only with CLOUDWINDOW_QUEUE_FIGURES=1.
func TestClusterFigures(t *testing.T) {
	if os.Getenv("CLOUDWINDOW_QUEUE_FIGURES") == "" || os.Getenv("CLOUDWINDOW_TEST_REDIS") == "" {
		t.Skip("set CLOUDWINDOW_QUEUE_FIGURES=1 and CLOUDWINDOW_TEST_REDIS to measure the cluster figures")
	}
	const trials = 10
	var failover, resent, restore, route, route99, own, wholeT, entryT, wholeB, entryB []float64
	for range trials {
		f := measureFailover(t)
		failover, resent, restore = append(failover, f.routing), append(resent, f.positions), append(restore, f.restore)
		r := measureRouting(t, 200)
		route, route99 = append(route, r...), append(route99, percentile(r, 0.99))
		own = append(own, measureLeaderDecisions(t, 200)...)
		c := measureSaveCost(t, 100)
		wholeT, entryT = append(wholeT, c.wholeTime...), append(entryT, c.entryTime...)
		wholeB, entryB = append(wholeB, c.wholeBytes...), append(entryB, c.entryBytes...)
	}
	row := func(name, unit string, v []float64) string {
		return fmt.Sprintf("| %s | %d | %.4g %s | %.4g %s | %.4g %s | %.4g–%.4g |", name, len(v),
			percentile(v, 0.5), unit, percentile(v, 0.95), unit, percentile(v, 0.99), unit, slices.Min(v), slices.Max(v))
	}
	t.Logf("\n| %d trials | samples | median | p95 | p99 | range |\n|---|---|---|---|---|---|\n%s", trials, strings.Join([]string{
		row("failover: leader death → the ringing offer rings again", "s", failover),
		row("failover: leader death → all 1,000 stations told their place", "s", resent),
		row("failover: load, restore and first save on the new leader", "ms", restore),
		row("routing decision on Redis, all trials", "ms", route),
		row("routing decision on Redis, p99 of each trial", "ms", route99),
		row("routing decision, the leader's own part: route and save to Redis", "ms", own),
		row("save one change, whole queue (before): time", "ms", wholeT),
		row("save one change, entries (now): time", "ms", entryT),
		row("save one change, whole queue (before): bytes", "B", wholeB),
		row("save one change, entries (now): bytes", "B", entryB),
	}, "\n"))
}

// percentile is the q-quantile of v (nearest rank).
func percentile(v []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[max(int(math.Ceil(q*float64(len(s))))-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type failoverFigures struct{ routing, positions, restore float64 }

// figureConfig is the production configuration on the wall clock, with a
// ring timeout longer than a trial.
func figureConfig() Config {
	return Config{Logger: slog.New(slog.DiscardHandler), RingTimeout: 10 * time.Minute}
}

// wallHarness is a harness for a queue on the wall clock: its fake clock
// only dates the appointments fillQueue makes.
func wallHarness(t *testing.T) *harness {
	clock := newFakeClock()
	clock.now = time.Now()
	return &harness{t: t, ctx: t.Context(), clock: clock, rec: newRecorder()}
}

// measureFailover kills a leader holding 1,000 waiting requests, one of
// them ringing, as kill -9 would (its bus connection and its lock go
// silent at once, nothing is handed over), and times its successor.
func measureFailover(t *testing.T) failoverFigures {
	client, prefix := bustest.OpenRedis(t)
	lock := NewRedisLocker(client, prefix+"queue-leader")
	aBus := bus.NewRedis(client, prefix, nil)
	aLock := &cutLocker{Locker: lock}
	a := NewCluster(figureConfig(), aBus, aLock, "a", nil)
	t.Cleanup(func() { a.Close() })
	waitUntil(t, "a leads", a.IsLeader)
	// Nodes start, and leaders die, at any point of each other's
	// once-a-third-of-the-lock's-time campaign ticks.
	time.Sleep(rand.N(figureConfig().withDefaults().LeaderTTL / 3))
	be := backend{newBus: func() bus.Bus {
		b := bus.NewRedis(client, prefix, nil)
		t.Cleanup(func() { b.Close() })
		return b
	}, lock: lock}
	h := wallHarness(t)
	b := startNode(t, figureConfig(), be, "b", h.rec)
	h.q = b
	fillQueue(h, 1000)
	h.readyAgent(Agent{ID: "a1", Skills: []string{"g1"}})
	h.waitEvent(0, "offered a1 r0001")

	time.Sleep(rand.N(figureConfig().withDefaults().LeaderTTL / 3))
	m := h.mark()
	died := time.Now()
	aBus.Close()
	aLock.cut.Store(true)
	a.Close()
	h.waitEvent(m, "offered a1 r0001")
	routing := time.Since(died)
	positionsSince(h, m, 1000)
	positions := time.Since(died)
	waitUntil(t, "b leads", b.IsLeader) // it publishes before it says so
	lead := b.currentLeader()
	return failoverFigures{routing: routing.Seconds(), positions: positions.Seconds(), restore: ms(lead.tookOver)}
}

// measureRouting times n routing decisions made from a node that does not
// lead, with 1,000 requests waiting: an agent turning ready is offered a
// request, then turning not ready has it withdrawn and the queue routed
// again. Each call goes to the leader over Redis, routes, saves the change
// and returns once the node has heard the events it caused.
func measureRouting(t *testing.T, n int) []float64 {
	be := redisBackend(t)
	leader := startNode(t, figureConfig(), be, "a", nil)
	waitUntil(t, "a leads", leader.IsLeader)
	h := wallHarness(t)
	h.q = startNode(t, figureConfig(), be, "b", h.rec)
	fillQueue(h, 1000)
	h.must(h.q.AgentOnline(h.ctx, Agent{ID: "a1", Skills: []string{"g7"}}))
	var out []float64
	for i := range n {
		start := time.Now()
		h.must(h.q.SetReady(h.ctx, "a1", i%2 == 0))
		out = append(out, ms(time.Since(start)))
	}
	return out
}

// measureLeaderDecisions times the leader's own part of n routing
// decisions with 1,000 waiting: the decision in memory and the saving of
// what it changed to Redis, without the calls and events between nodes.
func measureLeaderDecisions(t *testing.T, n int) []float64 {
	client, prefix := bustest.OpenRedis(t)
	h := wallHarness(t)
	q := NewLocal(figureConfig(), nil)
	t.Cleanup(func() { q.Close() })
	h.q = q
	fillQueue(h, 1000)
	h.must(q.AgentOnline(h.ctx, Agent{ID: "a1", Skills: []string{"g7"}}))
	lock := NewRedisLocker(client, prefix+"queue-leader")
	if held, err := lock.Lock(h.ctx, "leader", time.Minute); !held || err != nil {
		t.Fatalf("lock: %t, %v", held, err)
	}
	var saved savedEntries
	var out []float64
	for i := range n + 1 {
		start := time.Now()
		h.must(q.SetReady(h.ctx, "a1", i%2 == 0))
		change, err := q.stateChange(&saved, 1)
		if err == nil {
			err = lock.Save(h.ctx, "leader", change)
		}
		h.must(err)
		if i > 0 { // the first save is whole
			out = append(out, ms(time.Since(start)))
		}
	}
	return out
}

type saveCost struct{ wholeTime, entryTime, wholeBytes, entryBytes []float64 }

// measureSaveCost saves n changes of a queue of 1,000 (a station joining,
// then leaving) twice each, in one run: entry by entry as a leader does
// now, and whole, as earlier versions did on every change. Bytes are those
// of the commands' arguments sent to Redis.
func measureSaveCost(t *testing.T, n int) saveCost {
	client, prefix := bustest.OpenRedis(t)
	var sent atomic.Int64
	client.AddHook(byteCounter{&sent})
	ctx := t.Context()
	h := &harness{t: t, ctx: ctx, clock: newFakeClock(), rec: newRecorder()}
	q := NewLocal(Config{Clock: h.clock, Logger: slog.New(slog.DiscardHandler)}, nil)
	t.Cleanup(func() { q.Close() })
	h.q = q
	fillQueue(h, 1000)
	entries, whole := NewRedisLocker(client, prefix+"entries"), NewRedisLocker(client, prefix+"whole")
	for _, l := range []*RedisLocker{entries, whole} {
		if held, err := l.Lock(ctx, "leader", time.Minute); !held || err != nil {
			t.Fatalf("lock: %t, %v", held, err)
		}
	}
	var saved savedEntries
	var c saveCost
	for i := range n + 1 {
		if i%2 == 0 {
			h.enqueue(request("extra", "s-extra", "g1"))
		} else {
			h.must(q.Cancel(ctx, "s-extra", "extra"))
		}
		before, start := sent.Load(), time.Now()
		change, err := q.stateChange(&saved, 1)
		if err == nil {
			err = entries.Save(ctx, "leader", change)
		}
		entryTime, entryBytes := time.Since(start), sent.Load()-before
		before, start = sent.Load(), time.Now()
		if err == nil {
			err = saveWhole(ctx, whole, q)
		}
		wholeTime, wholeBytes := time.Since(start), sent.Load()-before
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			continue // the first save is whole both ways
		}
		c.entryTime, c.entryBytes = append(c.entryTime, ms(entryTime)), append(c.entryBytes, float64(entryBytes))
		c.wholeTime, c.wholeBytes = append(c.wholeTime, ms(wholeTime)), append(c.wholeBytes, float64(wholeBytes))
	}
	return c
}

// earlierSaveScript is how earlier versions saved the queue, whole, on
// every change. KEYS: lock, state. ARGV: holder, state, state keep ms.
var earlierSaveScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`)

// saveWhole saves q as earlier versions did: every request and agent
// encoded into one value, written over the last.
func saveWhole(ctx context.Context, l *RedisLocker, q *Local) error {
	var fresh savedEntries
	c, err := q.stateChange(&fresh, 1)
	if err != nil {
		return err
	}
	var whole struct {
		Term  uint64 `json:"term"`
		Queue struct {
			Meta     json.RawMessage   `json:"meta"` // seq and handle times`
			Requests []json.RawMessage `json:"requests"`
			Agents   []json.RawMessage `json:"agents"`
		} `json:"queue"`
	}
	whole.Queue.Meta = c.Meta
	for _, e := range c.Requests {
		whole.Queue.Requests = append(whole.Queue.Requests, e.Data)
	}
	for _, e := range c.Agents {
		whole.Queue.Agents = append(whole.Queue.Agents, e.Data)
	}
	data, err := json.Marshal(whole)
	if err != nil {
		return err
	}
	return earlierSaveScript.Run(ctx, l.client, []string{l.lockKey, l.keys.legacy}, "leader", data, stateKeep.Milliseconds()).Err()
}

// byteCounter adds up the bytes of every command's arguments.
type byteCounter struct{ n *atomic.Int64 }

func (byteCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c byteCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		for _, a := range cmd.Args() {
			switch v := a.(type) {
			case string:
				c.n.Add(int64(len(v)))
			case []byte:
				c.n.Add(int64(len(v)))
			default:
				c.n.Add(int64(len(fmt.Sprint(v))))
			}
		}
		return next(ctx, cmd)
	}
}

func (byteCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
