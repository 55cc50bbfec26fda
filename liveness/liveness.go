// Package liveness tells the nodes of a cluster which of them are running:
// each node keeps a Redis key alive with a short expiry, so a node killed
// outright (kill -9, power loss) is known dead within the expiry, and a
// survivor can take over what it held. Running calls never depend on it.
package liveness

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults for a Heartbeat.
const (
	DefaultInterval = 500 * time.Millisecond
	DefaultTTL      = 2 * time.Second
)

// Heartbeat keeps one node's key alive and answers for the others'.
type Heartbeat struct {
	client   *redis.Client
	prefix   string
	node     string
	interval time.Duration
	ttl      time.Duration
}

// NewHeartbeat returns the heartbeat of node; keys start with prefix.
func NewHeartbeat(client *redis.Client, prefix, node string) *Heartbeat {
	return &Heartbeat{client: client, prefix: prefix + "node:", node: node, interval: DefaultInterval, ttl: DefaultTTL}
}

func (h *Heartbeat) key(node string) string { return h.prefix + node }

// Run beats until ctx ends, then removes the node's key: a node that stops
// properly is dead at once.
func (h *Heartbeat) Run(ctx context.Context) {
	tick := time.NewTicker(h.interval)
	defer tick.Stop()
	for {
		bctx, cancel := context.WithTimeout(ctx, h.interval)
		h.client.Set(bctx, h.key(h.node), time.Now().UnixMilli(), h.ttl) // a missed beat is retried next tick
		cancel()
		select {
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), time.Second)
			h.client.Del(dctx, h.key(h.node))
			cancel()
			return
		case <-tick.C:
		}
	}
}

// Alive reports whether node has beaten within the expiry. An error means
// Redis could not tell: callers treat the node as alive.
func (h *Heartbeat) Alive(ctx context.Context, node string) (bool, error) {
	if node == h.node {
		return true, nil
	}
	n, err := h.client.Exists(ctx, h.key(node)).Result()
	if err != nil {
		return true, fmt.Errorf("is node %s alive: %w", node, err)
	}
	return n == 1, nil
}
