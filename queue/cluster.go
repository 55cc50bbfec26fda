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

// Cluster is the Queue of one node in a cluster: calls go to the leader
// node's Local and every node hears every event. See the package
// documentation for how leadership and failover work.
type Cluster struct {
	cfg    Config
	bus    bus.Bus
	lock   Locker
	holder string // this node in the lock: the node id made unique
	log    *slog.Logger
	feed   *feed

	unsubscribe []func()
	handover    chan struct{}      // capacity 1: the leader has left
	newTerm     chan struct{}      // capacity 1: a new leader is to be told who is here
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

// rejoinRetry is the pause between attempts to tell a new leader who is
// signed in on this node.
const rejoinRetry = time.Second

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
		feed: newFeed(l, log), handover: make(chan struct{}, 1), newTerm: make(chan struct{}, 1),
	}
	if _, ok := l.(Rejoiner); ok {
		c.feed.onNewTerm = c.signalNewTerm
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
	if r, ok := l.(Rejoiner); ok {
		c.wg.Go(func() { c.rejoinEachTerm(ctx, r) })
	}
	return c
}

func (c *Cluster) signalNewTerm() {
	select {
	case c.newTerm <- struct{}{}:
	default:
	}
}

// rejoinEachTerm has the listener tell each new leader who is signed in on
// this node: a leader that started on an empty state (Redis restarted
// without persistence) learns the agents and waiting stations again, one
// that restored its predecessor's state keeps it. It retries while the
// queue cannot be reached, until ctx ends.
func (c *Cluster) rejoinEachTerm(ctx context.Context, r Rejoiner) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.newTerm:
		}
		for err := r.Rejoin(ctx); err != nil && ctx.Err() == nil; err = r.Rejoin(ctx) {
			c.log.Warn("tell the queue who is signed in here; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(rejoinRetry):
			}
		}
	}
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
		return replyMsg{}, fmt.Errorf("queue %s: forward to leader: %w: %w", in.Op, ErrUnavailable, err)
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
