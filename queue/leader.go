package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// leader is a Cluster node's part while it holds the lock: it runs the
// queue in a Local, answers the other nodes' calls, publishes the Local's
// events and saves its state for a successor. It is the Local's Listener.
type leader struct {
	c       *Cluster
	term    uint64
	local   *Local
	renewed time.Time // when the lock was last renewed; campaign goroutine only
	// tookOver is how long taking over took: loading, restoring and the
	// first save and publication.
	tookOver time.Duration

	evMu    sync.Mutex
	pending []event       // from the Local, not yet published
	inCall  bool          // a call is running; it publishes and saves after
	dirty   bool          // changed since the last save
	wake    chan struct{} // capacity 1: events wait to go out

	syncMu sync.Mutex   // one publish-and-save at a time, in order
	mark   mark         // the last batch published
	saved  savedEntries // what the Locker holds; under syncMu

	stopHandling func()
	stopFlusher  context.CancelFunc
	flusherDone  chan struct{}
}

// Listener calls from the Local.

func (l *leader) Offered(agentID string, req Request, ring time.Duration) {
	l.add(event{kind: evOffered, agentID: agentID, request: req, ringTimeout: ring})
}

func (l *leader) OfferWithdrawn(agentID, requestID, reason string) {
	l.add(event{kind: evWithdrawn, agentID: agentID, requestID: requestID, reason: reason})
}

func (l *leader) PositionChanged(stationID string, pos Position) {
	l.add(event{kind: evPosition, stationID: stationID, position: pos})
}

func (l *leader) AgentStateChanged(agentID string, state AgentState) {
	l.add(event{kind: evAgentState, agentID: agentID, state: state})
}

func (l *leader) StatsChanged(s Stats) { l.add(event{kind: evStats, stats: s}) }

// add queues an event. Outside a call (a timer fired) the flusher sends it.
func (l *leader) add(e event) {
	l.evMu.Lock()
	l.pending = append(l.pending, e)
	l.dirty = true
	inCall := l.inCall
	l.evMu.Unlock()
	if !inCall {
		l.wakeFlusher()
	}
}

func (l *leader) setInCall(in bool) {
	l.evMu.Lock()
	l.inCall = in
	l.evMu.Unlock()
}

// handle answers one call from a node (this one included).
func (l *leader) handle(ctx context.Context, msg []byte) ([]byte, error) {
	var in callMsg
	if err := json.Unmarshal(msg, &in); err != nil {
		return nil, fmt.Errorf("decode queue call: %w", err)
	}
	start := l.currentMark()
	l.setInCall(true)
	out, changed := l.apply(ctx, in)
	l.setInCall(false)
	left, err := l.sync(ctx, changed)
	if errors.Is(err, ErrNotHolder) {
		// A successor leads from the last saved state: this change is lost.
		out = replyMsg{Error: toWireError(fmt.Errorf("queue leader lost its lock; try again: %w", ErrUnavailable))}
	} else if err != nil {
		l.c.log.Warn("save queue state; retrying", "err", err)
	}
	if left {
		l.wakeFlusher()
	}
	out.Start, out.End = start, l.currentMark()
	return json.Marshal(out)
}

// apply makes the call on the Local; changed reports whether it may have
// changed the queue.
func (l *leader) apply(ctx context.Context, in callMsg) (out replyMsg, changed bool) {
	q := l.local
	var err error
	switch in.Op {
	case opEnqueue:
		out.Position, err = q.Enqueue(ctx, in.Request)
	case opCancel:
		err = q.Cancel(ctx, in.StationID, in.RequestID)
	case opAgentOnline:
		err = q.AgentOnline(ctx, in.Agent)
	case opAgentOffline:
		err = q.AgentOffline(ctx, in.AgentID)
	case opSetReady:
		err = q.SetReady(ctx, in.AgentID, in.Ready)
	case opAccept:
		out.Request, err = q.Accept(ctx, in.AgentID, in.RequestID)
	case opReject:
		err = q.Reject(ctx, in.AgentID, in.RequestID)
	case opCallEnded:
		err = q.CallEnded(ctx, in.AgentID, in.Handled)
	case opFinishWrapUp:
		err = q.FinishWrapUp(ctx, in.AgentID)
	case opAgentState:
		out.State, err = q.AgentState(ctx, in.AgentID)
	case opWaiting:
		out.Request, out.Position, out.Found = q.Waiting(ctx, in.StationID)
	case opStats:
		out.Stats = q.Stats(ctx)
	case opCanServe:
		out.Found, err = q.CanServe(ctx, in.Skill)
	case opReadyAgents:
		out.Ready, err = q.ReadyAgents(ctx)
	case opRejoin:
		err = q.Rejoin(ctx, in.Agents, in.Requests)
	case opAnswerTicket:
		err = q.AnswerTicket(ctx, in.StationID, in.RequestID)
	case opSync:
	default:
		err = fmt.Errorf("unknown queue call %q: %w", in.Op, ErrInvalidRequest)
	}
	out.Error = toWireError(err)
	return out, err == nil && changes(in.Op)
}

func (l *leader) currentMark() mark {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	return l.mark
}

// sync saves the state if it changed, then publishes the pending events:
// saved first, so that what nodes are told survives a crash. A term's first
// batch always goes out, even empty, to tell the nodes of the new term.
// Events the bus does not take stay pending, ahead of newer ones, for the
// flusher to retry: a station's position is told once, so it must not be
// lost. left reports that something is still to save or publish; the error
// is the save's.
func (l *leader) sync(ctx context.Context, changed bool) (left bool, err error) {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.evMu.Lock()
	events, dirty := l.pending, l.dirty || changed
	l.pending, l.dirty = nil, false
	l.evMu.Unlock()
	if dirty {
		if err = l.save(ctx); err != nil {
			l.evMu.Lock()
			l.dirty = true
			l.evMu.Unlock()
		}
	}
	unpublished := false
	if len(events) > 0 || l.mark.Seq == 0 {
		if unpublished = l.publish(ctx, events) != nil; unpublished {
			l.evMu.Lock()
			l.pending = append(events, l.pending...)
			l.evMu.Unlock()
		}
	}
	return err != nil || unpublished, err
}

// wakeFlusher asks the flusher to sync now.
func (l *leader) wakeFlusher() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// save writes what changed since the last save; l.syncMu must be held.
func (l *leader) save(ctx context.Context) error {
	change, err := l.local.stateChange(&l.saved, l.term)
	if err == nil && !change.empty() {
		err = l.c.lock.Save(ctx, l.c.holder, change)
	}
	if err != nil {
		l.saved.invalidate()
	}
	return err
}

// publish sends one batch; l.syncMu must be held. A batch that cannot be
// sent keeps its number, so nodes see no gap when it is sent again.
func (l *leader) publish(ctx context.Context, events []event) error {
	b := eventBatch{Term: l.term, Seq: l.mark.Seq + 1, Events: make([]wireEvent, len(events))}
	for i := range events {
		b.Events[i] = toWireEvent(&events[i])
	}
	msg, err := json.Marshal(b)
	if err == nil {
		err = l.c.bus.Publish(ctx, eventsTopic, msg)
	}
	if err != nil {
		l.c.log.Error("publish queue events; retrying", "events", len(events), "err", err)
		return err
	}
	l.mark = b.mark()
	return nil
}

// flush publishes and saves what timers change, and retries what could not
// be saved or published, until ctx ends.
func (l *leader) flush(ctx context.Context) {
	defer close(l.flusherDone)
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		case <-retry:
		}
		retry = nil
		l.evMu.Lock()
		inCall := l.inCall
		l.evMu.Unlock()
		if inCall {
			continue // the call publishes and saves when it ends
		}
		sctx, cancel := context.WithTimeout(ctx, l.c.cfg.LeaderTTL/3)
		left, err := l.sync(sctx, false)
		cancel()
		if err != nil {
			l.c.log.Warn("save queue state; retrying", "err", err)
		}
		if left {
			retry = time.After(l.c.cfg.LeaderTTL / 3)
		}
	}
}
