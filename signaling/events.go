package signaling

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"cloudwindow/calls"
)

// eventWriter appends call timeline events to the store on its own
// goroutine, so that signaling never waits for a disk write.
type eventWriter struct {
	store *calls.Store
	log   *slog.Logger
	ch    chan pendingEvent
	done  chan struct{}

	mu     sync.Mutex // guards closed against sends on a closed ch
	closed bool
}

type pendingEvent struct {
	callID string
	ev     calls.Event
}

func newEventWriter(st *calls.Store, log *slog.Logger) *eventWriter {
	w := &eventWriter{store: st, log: log, ch: make(chan pendingEvent, 1024), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *eventWriter) add(callID string, ev calls.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	select {
	case w.ch <- pendingEvent{callID, ev}:
	default:
		w.log.Warn("call event dropped: writer is behind", "call", callID, "type", ev.Type)
	}
}

func (w *eventWriter) run() {
	defer close(w.done)
	for p := range w.ch {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := w.store.AddEvent(ctx, p.callID, p.ev); err != nil {
			w.log.Error("record call event", "err", err)
		}
		cancel()
	}
}

// close writes what is queued, then stops; later events are dropped.
func (w *eventWriter) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	<-w.done
}
