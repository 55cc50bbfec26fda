package cases

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloudwindow/calls"
	"cloudwindow/store"
)

// ErrClosed is returned by StartCall once the service is closed.
var ErrClosed = errors.New("cases service closed")

const (
	// maxStartBatch bounds one start transaction.
	maxStartBatch = 128
	// startCommitTimeout bounds one start transaction.
	startCommitTimeout = 10 * time.Second
)

// StartCall records a new call and opens its case, with the case's first
// event, in one transaction. Calls starting at the same time share it:
// while one transaction commits, the starts that arrive queue up and go
// together in the next, so a hundred calls accepted at once cost a few
// commits instead of two hundred (SQLite commits one writer at a time).
// The "opened" event is emitted after the commit.
func (s *Service) StartCall(ctx context.Context, c calls.Call) (Case, error) {
	if c.ID == "" || c.StationID == "" || c.ItemID == "" {
		return Case{}, fmt.Errorf("start call: call id, station and item are required: %w", ErrInvalid)
	}
	cm := s.starts.start(s)
	if cm == nil {
		return Case{}, fmt.Errorf("start call %s: %w", c.ID, ErrClosed)
	}
	req := startReq{call: c, reply: make(chan startResult, 1)}
	select {
	case cm.reqs <- req:
	case <-cm.stop:
		return Case{}, fmt.Errorf("start call %s: %w", c.ID, ErrClosed)
	case <-ctx.Done():
		return Case{}, fmt.Errorf("start call %s: %w", c.ID, ctx.Err())
	}
	// Once queued, the start is committed or refused whatever ctx says:
	// the caller must know which.
	r := <-req.reply
	if r.err != nil {
		return Case{}, fmt.Errorf("start call %s: %w", c.ID, r.err)
	}
	s.emit(r.ev)
	return r.cs, nil
}

// Close stops the committer of StartCall after the starts already queued.
func (s *Service) Close() { s.starts.close() }

type startReq struct {
	call  calls.Call
	reply chan startResult // buffered: the committer never waits on it
}

type startResult struct {
	cs  Case
	ev  Event
	err error
}

// startCommitter is the goroutine that commits StartCall's batches. It
// starts on the first StartCall and stops on Service.Close.
type startCommitter struct {
	mu     sync.Mutex
	reqs   chan startReq
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// start returns the running committer, starting it if needed, or nil once
// the service is closed.
func (cm *startCommitter) start(s *Service) *startCommitter {
	cm.mu.Lock()
	defer cm.mu.Unlock()
	if cm.closed {
		return nil
	}
	if cm.reqs == nil {
		cm.reqs = make(chan startReq)
		cm.stop, cm.done = make(chan struct{}), make(chan struct{})
		go cm.run(s)
	}
	return cm
}

// close stops the committer and waits for it; later starts get ErrClosed.
func (cm *startCommitter) close() {
	cm.mu.Lock()
	if cm.closed {
		cm.mu.Unlock()
		return
	}
	cm.closed = true
	stop, done := cm.stop, cm.done
	cm.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

func (cm *startCommitter) run(s *Service) {
	defer close(cm.done)
	for {
		var first startReq
		select {
		case first = <-cm.reqs:
		case <-cm.stop:
			return
		}
		s.commitStarts(cm.gather(first))
	}
}

// gather takes the starts waiting beside first, without waiting for more:
// a lone start is committed at once.
func (cm *startCommitter) gather(first startReq) []startReq {
	batch := []startReq{first}
	for len(batch) < maxStartBatch {
		select {
		case r := <-cm.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// commitStarts commits batch in one transaction and answers every start.
// If it fails, one bad start (a call id used twice) must not fail the
// others: each is then tried in a transaction of its own.
func (s *Service) commitStarts(batch []startReq) {
	ctx, cancel := context.WithTimeout(context.Background(), startCommitTimeout)
	defer cancel()
	results := make([]startResult, len(batch))
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		for i, r := range batch {
			if err := calls.Insert(ctx, tx, r.call); err != nil {
				return err
			}
			cs, ev, err := s.openIn(ctx, tx, r.call)
			if err != nil {
				return err
			}
			results[i] = startResult{cs: cs, ev: ev}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.commitStarts([]startReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			results[i] = startResult{err: err}
		}
		r.reply <- results[i]
	}
}
