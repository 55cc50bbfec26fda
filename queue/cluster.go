package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"cloudwindow/bus"
)

// Cluster is the Queue of a node in a cluster. One node, the leader, runs the
// queue in a Local; the others forward every call to it over the bus. The
// leader publishes the Local's events and every node (the leader too) hands
// them to its own Listener, so a node's listener hears about every station
// and agent: it ignores those whose sessions it does not hold.
//
// The leader is whoever holds the Locker's lock. It renews the lock every
// third of Config.LeaderTTL and steps down if it cannot renew for two thirds
// of it, before the lock can pass to another node. Every change is saved
// through the Locker before the call returns and before its events go out,
// so that a new leader restores the queue as it was:
//
//   - Waiting requests keep their order, enqueue times and rejections; agents
//     keep their states, skills and idle order; handle times keep feeding the
//     estimates. Every waiting station is sent its position again.
//   - An offer that was ringing rings again at the same agent, for a whole
//     ring timeout; a wrap-up ends when it would have.
//   - Calls made meanwhile wait (up to Config.CallTimeout) and are answered by
//     the new leader.
//
// Limits: a leader that dies between taking a call and answering it leaves
// the caller with a timeout, though the change may have been saved. Events
// travel at most once: a node cut off from the bus misses those published
// meanwhile (logged), and for up to a renewal period after losing the lock a
// deposed leader may still publish events, which nodes that already heard
// from its successor ignore. Changes a deposed leader could not save are
// reported to their callers as errors. Takeover needs Config.LeaderTTL plus
// up to a third of it after the leader's last renewal.
//
// Timers (ring, wrap-up, appointments) run on the leader, on Config.Clock;
// the lock and call timeouts use the wall clock.
type Cluster struct {
	cfg    Config
	bus    bus.Bus
	lock   Locker
	holder string // this node in the lock: the node id made unique
	log    *slog.Logger
	feed   *feed

	unsubscribe []func()
	handover    chan struct{}      // capacity 1: the leader has left
	stop        context.CancelFunc // ends the campaign and the dispatcher
	wg          sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	leading *leader // non-nil while this node leads
}

var _ Queue = (*Cluster)(nil)

// catchUpLimit bounds how long a call waits for its own events to arrive
// before it returns without them; they are delivered when they come.
const catchUpLimit = 2 * time.Second

// NewCluster starts a node of the clustered queue on b, competing for the
// leadership through lock; l (which may be nil) gets every queue event.
// nodeID names the node in logs and in the lock.
func NewCluster(cfg Config, b bus.Bus, lock Locker, nodeID string, l Listener) *Cluster {
	cfg = cfg.withDefaults()
	if l == nil {
		l = nopListener{}
	}
	log := cfg.Logger.With("component", "queue", "node", nodeID)
	c := &Cluster{
		cfg: cfg, bus: b, lock: lock, holder: nodeID + "/" + uuid.NewString(), log: log,
		feed: newFeed(l, log), handover: make(chan struct{}, 1),
	}
	// Subscribed before campaigning: a node that leads hears its own events.
	c.unsubscribe = []func(){
		b.Subscribe(eventsTopic, c.feed.receive),
		b.Subscribe(leaderTopic, func([]byte) {
			select {
			case c.handover <- struct{}{}:
			default:
			}
		}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.wg.Go(func() { c.feed.run(ctx) })
	c.wg.Go(func() { c.campaign(ctx) })
	return c
}

// IsLeader reports whether this node runs the queue now.
func (c *Cluster) IsLeader() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leading != nil
}

// Close leaves the cluster, handing the queue to another node if this one
// leads. Later calls return ErrClosed. It must not be called from a Listener
// callback.
func (c *Cluster) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.stop()
	c.wg.Wait()
	for _, unsubscribe := range c.unsubscribe {
		unsubscribe()
	}
	return nil
}

// call forwards a call to the leader and delivers the events it caused.
func (c *Cluster) call(ctx context.Context, in callMsg) (replyMsg, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return replyMsg{}, fmt.Errorf("queue %s: %w", in.Op, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return replyMsg{}, fmt.Errorf("queue %s: %w", in.Op, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	c.feed.beginCall()
	defer c.feed.endCall()
	msg, err := json.Marshal(in)
	if err != nil {
		return replyMsg{}, fmt.Errorf("queue %s: encode: %w", in.Op, err)
	}
	if msg, err = c.bus.Request(ctx, callsTopic, msg); err != nil {
		return replyMsg{}, fmt.Errorf("queue %s: forward to leader: %w", in.Op, err)
	}
	var out replyMsg
	if err := json.Unmarshal(msg, &out); err != nil {
		return replyMsg{}, fmt.Errorf("queue %s: decode reply: %w", in.Op, err)
	}
	wait, cancelWait := context.WithTimeout(ctx, catchUpLimit)
	c.feed.catchUp(wait, out.Start, out.End)
	cancelWait()
	return out, out.Error.err()
}

// sync returns once this node's listener has been told what the leader had
// published when sync was called.
func (c *Cluster) sync(ctx context.Context) error {
	_, err := c.call(ctx, callMsg{Op: opSync})
	return err
}
