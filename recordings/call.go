package recordings

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"cloudwindow/calls"
)

// CallInfo is the call being recorded: its index row, which signaling
// already holds when the call is accepted.
type CallInfo = calls.Call

// callRecording groups the file writers of one call.
type callRecording struct {
	rec  *Recorder
	info CallInfo

	mu         sync.Mutex
	writers    map[string]*fileWriter // the running writer of each group
	active     int
	idle       chan struct{} // closed when no writer runs
	idleClosed bool
	indexed    bool
	failure    string            // the last writer error, for the recording row
	down       map[string]string // groups stopped by a failure, and why
	forgotten  bool              // dropped from Recorder.calls: tracks go to a new callRecording
}

func newCallRecording(rec *Recorder, info CallInfo) *callRecording {
	idle := make(chan struct{})
	close(idle)
	return &callRecording{rec: rec, info: info, writers: map[string]*fileWriter{}, idle: idle, idleClosed: true}
}

// groupOf names the file a track goes to: one per party, and the station's
// document camera on its own so each file has at most one video track.
func groupOf(spec trackSpec) string {
	if spec.source == "document" {
		return spec.party + "-document"
	}
	return spec.party
}

// attach hands a new track to its group's writer, starting one if needed;
// started says a writer was started, which takes over the caller's
// reservation in rec.wg. ok is false if the call was forgotten: the caller
// must look it up again.
func (c *callRecording) attach(s *trackSink) (started, ok bool) {
	group := groupOf(s.spec)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forgotten {
		return false, false
	}
	if w := c.writers[group]; w != nil && w.attach(s) {
		return false, true
	}
	w := newFileWriter(c, group)
	w.attach(s)
	c.writers[group] = w
	if c.idleClosed {
		c.idle, c.idleClosed = make(chan struct{}), false
	}
	c.active++
	go w.run()
	return true, true
}

// ensureIndexed creates the recording row before the first file; it is
// tried again by the next writer if the store was unreachable.
func (c *callRecording) ensureIndexed() {
	c.mu.Lock()
	done := c.indexed
	c.mu.Unlock()
	if done {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if err := c.rec.indexRecording(ctx, c.info, c.rec.now()); err != nil {
		c.rec.log.Error("index recording", "call", c.info.ID, "err", err)
		return
	}
	c.mu.Lock()
	c.indexed = true
	c.mu.Unlock()
}

func (c *callRecording) indexFile(f File) {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if err := c.rec.indexFile(ctx, f); err != nil {
		c.rec.log.Error("index recording file", "call", c.info.ID, "err", err)
	}
}

// writerDone is called by a writer as it exits; the last one closes the
// recording row.
func (c *callRecording) writerDone(w *fileWriter) {
	c.mu.Lock()
	if c.writers[w.group] == w {
		delete(c.writers, w.group)
	}
	c.active--
	if w.failure != "" {
		c.failure = w.failure
	}
	last, failure := c.active == 0, c.failure
	c.indexed = c.indexed && !last // a later track reopens the row
	c.mu.Unlock()
	if !last {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if err := c.rec.closeRecording(ctx, c.info.ID, StatusFinished, failure); err != nil {
		c.rec.log.Error("close recording", "call", c.info.ID, "err", err)
	}
	c.mu.Lock()
	if c.active == 0 && !c.idleClosed {
		close(c.idle)
		c.idleClosed = true
	}
	c.mu.Unlock()
	c.rec.forget(c)
}

// idleChan returns a channel closed once no writer of the call runs.
func (c *callRecording) idleChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.idle
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// groupDown records that a group stopped after a failure; the first one
// tells that the call is no longer recorded.
func (c *callRecording) groupDown(group, code string) {
	c.mu.Lock()
	first := len(c.down) == 0
	if c.down == nil {
		c.down = map[string]string{}
	}
	c.down[group] = code
	c.mu.Unlock()
	if first {
		c.notify(StatusChange{CallID: c.info.ID, Code: code})
	}
}

// groupUp records that a group records (again); while no group is down
// the call is told it is recorded. Listeners act on changes only.
func (c *callRecording) groupUp(group string) {
	c.mu.Lock()
	delete(c.down, group)
	all := len(c.down) == 0
	c.mu.Unlock()
	if all {
		c.notify(StatusChange{CallID: c.info.ID, Recording: true})
	}
}

func (c *callRecording) notify(ch StatusChange) {
	if c.rec.cfg.OnStatus != nil {
		c.rec.cfg.OnStatus(ch)
	}
}
