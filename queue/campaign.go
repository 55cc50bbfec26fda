package queue

import (
	"context"
	"fmt"
	"time"
)

// campaign competes for the leadership, and renews it while this node
// leads, until ctx ends; then it hands the queue over.
func (c *Cluster) campaign(ctx context.Context) {
	var lead *leader
	defer func() {
		if lead != nil {
			c.stepDown(lead, true)
		}
	}()
	tick := time.NewTicker(c.cfg.LeaderTTL / 3)
	defer tick.Stop()
	for {
		lead = c.campaignOnce(ctx, lead)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.handover:
		}
	}
}

// campaignOnce takes or renews the lock and returns who leads from here:
// the current leader, a new one, or nil.
func (c *Cluster) campaignOnce(ctx context.Context, lead *leader) *leader {
	asked := time.Now()
	lctx, cancel := context.WithTimeout(ctx, c.cfg.LeaderTTL/3)
	held, err := c.lock.Lock(lctx, c.holder, c.cfg.LeaderTTL)
	cancel()
	switch {
	case ctx.Err() != nil: // closing: campaign hands over
		if held && lead == nil {
			c.unlock()
		}
		return lead
	case err != nil && lead == nil:
		c.log.Warn("campaign for queue leadership", "err", err)
		return nil
	case err != nil && time.Since(lead.renewed) < c.cfg.LeaderTTL*2/3:
		c.log.Warn("renew queue leadership", "err", err)
		return lead
	case err != nil:
		c.log.Error("queue leadership running out: stepping down", "err", err)
		c.stepDown(lead, false)
		return nil
	case !held && lead != nil:
		c.log.Error("queue leadership lost: stepping down")
		c.stepDown(lead, false)
		return nil
	case !held:
		return nil
	case lead == nil:
		return c.takeOver(ctx, asked)
	}
	lead.renewed = asked
	return lead
}

// takeOver starts leading with the queue as the last leader saved it.
func (c *Cluster) takeOver(ctx context.Context, locked time.Time) *leader {
	lead, err := c.startLeader(ctx)
	if err != nil {
		c.log.Error("take over the queue", "err", err)
		c.unlock()
		return nil
	}
	lead.renewed, lead.tookOver = locked, time.Since(locked)
	c.mu.Lock()
	c.leading = lead
	c.mu.Unlock()
	// Calls are taken only now, so that a node that answers one leads.
	lead.stopHandling = c.bus.Handle(callsTopic, lead.handle)
	c.log.Info("leading the queue", "term", lead.term, "waiting", lead.local.Stats(ctx).Waiting, "took", lead.tookOver)
	return lead
}

func (c *Cluster) startLeader(ctx context.Context) (*leader, error) {
	// Half the lock's time: it must be renewed soon after.
	ctx, cancel := context.WithTimeout(ctx, c.cfg.LeaderTTL/2)
	defer cancel()
	saved, err := c.loadState(ctx)
	if err != nil {
		return nil, err
	}
	// Terms grow with each leader, and with the clock in case the saved
	// state was unreadable, so that nodes can tell stale events apart.
	lead := &leader{
		c: c, term: max(saved.term+1, uint64(time.Now().UnixMilli())),
		wake: make(chan struct{}, 1), flusherDone: make(chan struct{}),
	}
	lead.local = NewLocal(c.cfg, lead)
	switch err := lead.local.restore(saved.snap); {
	case err != nil:
		c.log.Error("restoring the queue; starting empty", "err", err)
	case saved.inPlace:
		lead.saved.seed(saved.snap) // the first save writes only what restoring changed
	}
	left, err := lead.sync(ctx, true)
	if err != nil {
		lead.local.Close()
		return nil, fmt.Errorf("save queue state as new leader: %w", err)
	}
	fctx, stopFlusher := context.WithCancel(context.Background())
	lead.stopFlusher = stopFlusher
	go lead.flush(fctx)
	if left {
		lead.wakeFlusher() // for what the bus did not take
	}
	return lead, nil
}

// loadedState is the last leader's state as a new leader reads it.
type loadedState struct {
	snap snapshot
	term uint64 // the last leader's
	// inPlace: the snapshot is what the Locker's entries hold, not an
	// earlier version's whole-queue value or nothing readable.
	inPlace bool
}

// loadState reads the last leader's state; an unreadable one is logged and
// replaced by an empty queue, since leading beats not leading at all.
func (c *Cluster) loadState(ctx context.Context) (loadedState, error) {
	saved, err := c.lock.Load(ctx)
	if err != nil {
		return loadedState{}, fmt.Errorf("load queue state: %w", err)
	}
	s, term, err := decodeState(saved)
	if err != nil {
		c.log.Error("unreadable queue state; starting empty", "err", err)
		return loadedState{term: term}, nil
	}
	return loadedState{snap: s, term: term, inPlace: !saved.legacy}, nil
}

// stepDown stops leading. Handing over (graceful), the leader saves and
// publishes what is left and releases the lock at once; having lost the
// lock, it keeps quiet.
func (c *Cluster) stepDown(lead *leader, graceful bool) {
	c.mu.Lock()
	c.leading = nil
	c.mu.Unlock()
	lead.stopHandling() // waits for a call in progress
	lead.local.Close()
	lead.stopFlusher()
	<-lead.flusherDone
	if graceful {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaderTTL/3)
		if _, err := lead.sync(ctx, false); err != nil {
			c.log.Warn("save queue state when stepping down", "err", err)
		}
		cancel()
	}
	c.unlock()
	if graceful {
		c.announceHandover()
	}
	c.log.Info("no longer leading the queue", "term", lead.term)
}

// announceHandover tells the other nodes to campaign now rather than at
// their next renewal tick.
func (c *Cluster) announceHandover() {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaderTTL/3)
	defer cancel()
	if err := c.bus.Publish(ctx, leaderTopic, []byte(c.holder)); err != nil {
		c.log.Warn("announce queue handover", "err", err)
	}
}

// unlock releases the lock if this node has it, so a successor need not
// wait for it to expire.
func (c *Cluster) unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.LeaderTTL/3)
	defer cancel()
	if err := c.lock.Unlock(ctx, c.holder); err != nil {
		c.log.Warn("release queue leadership", "err", err)
	}
}
