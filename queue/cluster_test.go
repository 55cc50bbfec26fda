package queue

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"cloudwindow/bus"
	"cloudwindow/bus/bustest"
)

// clusterImplementations run the behaviour table on two Cluster nodes
// sharing a bus: in memory always, over Redis when CLOUDWINDOW_TEST_REDIS is
// set.
func clusterImplementations() []implementation {
	impls := []implementation{{name: "cluster", open: openMemoryCluster}}
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") != "" {
		impls = append(impls, implementation{name: "cluster-redis", open: openRedisCluster})
	}
	return impls
}

// backend is what the nodes of one test cluster share.
type backend struct {
	newBus func() bus.Bus // each node gets its own connection
	lock   Locker
}

func memoryBackend(t testing.TB) backend {
	b := bus.NewLocal(nil)
	t.Cleanup(func() { b.Close() })
	return backend{newBus: func() bus.Bus { return b }, lock: NewMemoryLocker()}
}

func redisBackend(t testing.TB) backend {
	client, prefix := bustest.OpenRedis(t)
	return backend{
		newBus: func() bus.Bus {
			b := bus.NewRedis(client, prefix, slog.New(slog.DiscardHandler))
			t.Cleanup(func() { b.Close() })
			return b
		},
		lock: NewRedisLocker(client, prefix+"queue-leader"),
	}
}

// startNode starts a cluster node, closed when the test ends.
func startNode(t testing.TB, cfg Config, be backend, id string, l Listener) *Cluster {
	c := NewCluster(cfg, be.newBus(), be.lock, id, l)
	t.Cleanup(func() { c.Close() })
	return c
}

func openMemoryCluster(t *testing.T, cfg Config, l Listener) Queue {
	return openPair(t, cfg, memoryBackend(t), l)
}

func openRedisCluster(t *testing.T, cfg Config, l Listener) Queue {
	return openPair(t, cfg, redisBackend(t), l)
}

func openPair(t *testing.T, cfg Config, be backend, l Listener) Queue {
	p := &pair{heard: startNode(t, cfg, be, "a", l), other: startNode(t, cfg, be, "b", nil)}
	t.Cleanup(func() {
		for _, n := range []*Cluster{p.heard, p.other} {
			if lead := n.currentLeader(); lead != nil {
				checkInvariants(t, lead.local)
				checkSaved(t, be.lock, lead)
			}
		}
	})
	return p
}

func (c *Cluster) currentLeader() *leader {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leading
}

// pair is a Queue whose calls alternate between two nodes, so that half of
// them come from a node whose listener is not the harness's. After those,
// the harness's node catches up with the leader's events, as it would have
// done had the call been its own.
type pair struct {
	heard, other *Cluster // heard has the harness's listener
	calls        atomic.Uint64
}

// via runs f on the next node.
func (p *pair) via(ctx context.Context, f func(q Queue)) {
	if p.calls.Add(1)%2 == 1 {
		f(p.heard)
		return
	}
	f(p.other)
	_ = p.heard.sync(ctx)
}

func (p *pair) Enqueue(ctx context.Context, r Request) (pos Position, err error) {
	p.via(ctx, func(q Queue) { pos, err = q.Enqueue(ctx, r) })
	return pos, err
}

func (p *pair) Cancel(ctx context.Context, stationID, requestID string) (err error) {
	p.via(ctx, func(q Queue) { err = q.Cancel(ctx, stationID, requestID) })
	return err
}

func (p *pair) AgentOnline(ctx context.Context, a Agent) (err error) {
	p.via(ctx, func(q Queue) { err = q.AgentOnline(ctx, a) })
	return err
}

func (p *pair) AgentOffline(ctx context.Context, agentID string) (err error) {
	p.via(ctx, func(q Queue) { err = q.AgentOffline(ctx, agentID) })
	return err
}

func (p *pair) SetReady(ctx context.Context, agentID string, ready bool) (err error) {
	p.via(ctx, func(q Queue) { err = q.SetReady(ctx, agentID, ready) })
	return err
}

func (p *pair) Accept(ctx context.Context, agentID, requestID string) (r Request, err error) {
	p.via(ctx, func(q Queue) { r, err = q.Accept(ctx, agentID, requestID) })
	return r, err
}

func (p *pair) Reject(ctx context.Context, agentID, requestID string) (err error) {
	p.via(ctx, func(q Queue) { err = q.Reject(ctx, agentID, requestID) })
	return err
}

func (p *pair) CallEnded(ctx context.Context, agentID string, handled time.Duration) (err error) {
	p.via(ctx, func(q Queue) { err = q.CallEnded(ctx, agentID, handled) })
	return err
}

func (p *pair) FinishWrapUp(ctx context.Context, agentID string) (err error) {
	p.via(ctx, func(q Queue) { err = q.FinishWrapUp(ctx, agentID) })
	return err
}

func (p *pair) AgentState(ctx context.Context, agentID string) (s AgentState, err error) {
	p.via(ctx, func(q Queue) { s, err = q.AgentState(ctx, agentID) })
	return s, err
}

func (p *pair) Waiting(ctx context.Context, stationID string) (r Request, pos Position, ok bool) {
	p.via(ctx, func(q Queue) { r, pos, ok = q.Waiting(ctx, stationID) })
	return r, pos, ok
}

func (p *pair) ReadyAgents(ctx context.Context) (out []Agent, err error) {
	p.via(ctx, func(q Queue) { out, err = q.ReadyAgents(ctx) })
	return out, err
}

func (p *pair) CanServe(ctx context.Context, skill string) (ok bool, err error) {
	p.via(ctx, func(q Queue) { ok, err = q.CanServe(ctx, skill) })
	return ok, err
}

func (p *pair) Stats(ctx context.Context) (s Stats) {
	p.via(ctx, func(q Queue) { s = q.Stats(ctx) })
	return s
}

func (p *pair) Rejoin(ctx context.Context, agents []AgentPresence, requests []Request) (err error) {
	p.via(ctx, func(q Queue) { err = q.Rejoin(ctx, agents, requests) })
	return err
}

func (p *pair) Close() error { return nil } // the nodes close with the test
