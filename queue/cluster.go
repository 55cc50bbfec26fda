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
	rejoin      chan struct{}      // capacity 1: the leader is to be told who is here; nil without a Rejoiner
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
		feed: newFeed(l, log), handover: make(chan struct{}, 1),
	}
	if _, ok := l.(Rejoiner); ok {
		c.rejoin = make(chan struct{}, 1)
		c.feed.onNewTerm = c.askRejoin
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
		c.wg.Go(func() { c.rejoinWhenAsked(ctx, r) })
	}
	return c
}

// askRejoin has the listener tell the queue who is signed in here, once it
// can be reached: a new leader took over, or a call of this node's could
// not reach the leader (this node may have missed a new leader's first
// events, and sessions that ended meanwhile may still be in the queue).
func (c *Cluster) askRejoin() {
	if c.rejoin == nil {
		return
	}
	select {
	case c.rejoin <- struct{}{}:
	default:
	}
}

// rejoinWhenAsked has the listener tell the leader who is signed in on
// this node whenever askRejoin says so: a leader that started on an empty
// state (Redis restarted without persistence) learns the agents and waiting
// stations again, one that restored its predecessor's state keeps it. It
// retries while the queue cannot be reached, until ctx ends.
func (c *Cluster) rejoinWhenAsked(ctx context.Context, r Rejoiner) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.rejoin:
		}
		// Each try waits a moment first: the caller whose call failed is
		// still noting what it could not do, and Redis is likely not back.
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(rejoinRetry):
			}
			err := r.Rejoin(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			c.log.Warn("tell the queue who is signed in here; retrying", "err", err)
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
		c.askRejoin()
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
