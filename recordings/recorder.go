package recordings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cloudwindow/media"
	"cloudwindow/store"
)

// Config configures a Recorder.
type Config struct {
	Dir        string    // data directory; files go to Dir/recordings/YYYY/MM/DD/
	DB         *store.DB // the index
	Registerer prometheus.Registerer
	Logger     *slog.Logger // nil: logs nowhere
	// Retention is how long recordings are kept; 0 keeps them forever.
	Retention time.Duration
	Now       func() time.Time
	// Node names this node. Repair only touches files this node was
	// writing, so nodes sharing a volume leave each other's live files alone.
	Node string
	// KeyframeInterval is how often the recorder wishes each camera for a
	// keyframe, which bounds how far apart seek points are where the SFU
	// grants the wish (not for a publisher on a weak link: see
	// media.KeyframeRequester). Default 10 s; negative: only when recording
	// starts or after a loss.
	KeyframeInterval time.Duration
	// TicketSecret keys the play tickets that let a <video> fetch a file
	// (see Ticket). Nodes that serve the same recordings must share it, so
	// that a ticket one node issued plays from any of them. Empty: a random
	// key per start, which suits a single node; tickets then die with the
	// process, and the page just asks for new ones.
	TicketSecret string

	// OnStatus is told when a call's recording stops after a failure, and
	// that it runs each time a file starts while nothing is failed, on a
	// writer goroutine: it must not block.
	// Signaling uses it to tell the agent and the wallboard at once.
	OnStatus func(StatusChange)
	// FreeSpace measures the bytes free on the recordings volume; nil
	// skips the check. A failed party tries a new part every RetryInterval
	// (default DefaultRetryInterval) once MinFree bytes (default
	// DefaultMinFree) are free, and Unavailable says a call can't be
	// recorded below MinFree.
	FreeSpace     func() (uint64, error)
	MinFree       uint64
	RetryInterval time.Duration

	// Storage, when set, keeps finished files instead of this node's disk
	// (an S3-compatible object store): RunUploads moves them there, and
	// review, play and retention use them there.
	Storage Storage
}

// Recorder records calls to WebM files, keeps their index, serves them to
// supervisors and deletes them when retention runs out.
type Recorder struct {
	cfg     Config
	log     *slog.Logger
	db      *store.DB
	dir     string
	local   localStorage
	metrics *metrics
	packets *sync.Pool
	// openFile creates a new recording file and fails with fs.ErrExist if
	// it exists; tests replace it to inject disk errors.
	openFile func(path string) (recordingFile, error)
	queueLen int // per-file event queue; tests raise it to feed without drops

	ticketKey []byte // signs play tickets

	stop    chan struct{}
	wg      sync.WaitGroup
	uploads chan struct{} // wakes RunUploads when a file is finished

	mu     sync.Mutex
	calls  map[string]*callRecording
	closed bool
}

// New returns a Recorder; its directory is created if needed.
func New(cfg Config) (*Recorder, error) {
	if cfg.DB == nil || cfg.Dir == "" {
		return nil, errors.New("recordings: Config.DB and Config.Dir are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultRetryInterval
	}
	if cfg.MinFree == 0 {
		cfg.MinFree = DefaultMinFree
	}
	if cfg.KeyframeInterval == 0 {
		cfg.KeyframeInterval = 10 * time.Second
	}
	dir := filepath.Join(cfg.Dir, "recordings")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create recordings directory: %w", err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	key, err := ticketKey(cfg.TicketSecret)
	if err != nil {
		return nil, err
	}
	return &Recorder{
		cfg: cfg, log: cfg.Logger.With("component", "recorder"), db: cfg.DB, dir: dir, local: localStorage{dir},
		metrics: m, packets: newPacketPool(), openFile: createFile, queueLen: eventQueueLen, ticketKey: key,
		stop: make(chan struct{}), uploads: make(chan struct{}, 1), calls: map[string]*callRecording{},
	}, nil
}

func createFile(path string) (recordingFile, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
}

func (rec *Recorder) now() time.Time { return rec.cfg.Now() }

// newSink starts recording one track of a call; nil if it can't be recorded.
func (rec *Recorder) newSink(call CallInfo, spec trackSpec, keyframes media.KeyframeRequester) *trackSink {
	codec, ok := codecFor(spec.codec.MimeType)
	if !ok {
		rec.log.Warn("track not recorded: codec not supported", "call", call.ID, "party", spec.party, "codec", spec.codec.MimeType)
		return nil
	}
	s := &trackSink{spec: spec, codec: codec, keyframes: keyframes}
	for {
		c := rec.callFor(call)
		if c == nil {
			return nil
		}
		started, ok := c.attach(s)
		if !started {
			rec.wg.Done() // callFor's reservation was not needed
		}
		if ok {
			return s
		}
		// The call went idle and was forgotten in between: start afresh.
	}
}

// callFor returns the recording of call, made on first use, and reserves a
// writer in rec.wg for the track about to attach (nil once closed). Only
// the lookup holds rec.mu: every track of every call starting at once
// passes here, so attaching happens under the call's own lock.
func (rec *Recorder) callFor(call CallInfo) *callRecording {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.closed {
		return nil
	}
	c := rec.calls[call.ID]
	if c == nil {
		c = newCallRecording(rec, call)
		rec.calls[call.ID] = c
	}
	// Added under rec.mu, so Close's Wait sees it.
	rec.wg.Add(1)
	return c
}

// forget drops an idle call from memory; its index row stays.
func (rec *Recorder) forget(c *callRecording) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if rec.calls[c.info.ID] == c && c.active == 0 {
		delete(rec.calls, c.info.ID)
		c.forgotten = true
	}
}

// Wait blocks until every file of the call is finished and indexed (after
// the room closed), or ctx ends. A call with nothing recording returns at once.
func (rec *Recorder) Wait(ctx context.Context, callID string) error {
	rec.mu.Lock()
	c := rec.calls[callID]
	rec.mu.Unlock()
	if c == nil {
		return nil
	}
	select {
	case <-c.idleChan():
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for recording of call %s: %w", callID, ctx.Err())
	}
}

// Close finishes every file still being written and waits for the writers;
// tracks published afterwards are not recorded. Close it before the store.
func (rec *Recorder) Close() error {
	rec.mu.Lock()
	if rec.closed {
		rec.mu.Unlock()
		return nil
	}
	rec.closed = true
	close(rec.stop)
	rec.mu.Unlock()
	rec.wg.Wait()
	return nil
}
