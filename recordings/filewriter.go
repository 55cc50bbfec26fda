package recordings

import (
	"log/slog"
	"sync"
	"time"
)

const (
	eventQueueLen = 1024 // ~1 s of a party's audio and video
	tickInterval  = 250 * time.Millisecond
)

// fileWriter records one group of tracks (a party's audio and camera, or
// the station's document camera) on its own goroutine, one file part after
// another. It ends when every attached track has ended or the recorder
// closes.
type fileWriter struct {
	rec    *Recorder
	call   *callRecording
	group  string
	log    *slog.Logger
	events chan event
	kick   chan struct{}

	mu     sync.Mutex
	sinks  []*trackSink
	open   int
	ending bool

	// Owned by run.
	tracks        []*track
	timeline      timeline
	out           *partFile
	part          int
	senderToLocal int64
	haveOffset    bool
	firstAt       int64 // arrival of the first packet, Unix ns
	synced        bool  // frames go to the file (see release)
	mediaNow      int64 // wall time of the latest frame, Unix ns
	down          bool  // a failure stopped recording (see fail)
	retryAt       int64 // when a new part may be tried, Unix ns
	rearmed       bool  // keyframes were asked for the retry
	failure       string
}

func newFileWriter(c *callRecording, group string) *fileWriter {
	return &fileWriter{
		rec:    c.rec,
		call:   c,
		group:  group,
		log:    c.rec.log.With("call", c.info.ID, "party", group),
		events: make(chan event, c.rec.queueLen),
		kick:   make(chan struct{}, 1),
		part:   1,
	}
}

// attach adds a sink; false means the writer is ending and a new one is needed.
func (f *fileWriter) attach(s *trackSink) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ending {
		return false
	}
	s.fw = f
	s.state = newTrack(s, f.rec.packets)
	f.sinks = append(f.sinks, s)
	f.open++
	f.wake()
	return true
}

func (f *fileWriter) detach() {
	f.mu.Lock()
	f.open--
	if f.open <= 0 {
		f.ending = true
	}
	f.mu.Unlock()
	f.wake()
}

func (f *fileWriter) wake() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

func (f *fileWriter) run() {
	defer f.rec.wg.Done()
	f.call.ensureIndexed()
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	for {
		select {
		case ev := <-f.events:
			f.handle(ev)
		case <-f.kick:
			if f.adopt() {
				f.end()
				return
			}
		case <-ticker.C:
			f.tick()
		case <-f.rec.stop:
			f.drainEvents()
			f.end()
			return
		}
	}
}

// adopt takes in newly attached tracks and reports whether every track has
// ended. Queued events go first: a sink's last packets precede its Close.
func (f *fileWriter) adopt() (ended bool) {
	f.drainEvents()
	ended = f.adoptNew()
	for _, t := range f.tracks {
		if !t.gone && t.sink.closed.Load() {
			f.flushTrack(t)
		}
	}
	return ended
}

// adoptNew takes in the tracks attached since the last look.
func (f *fileWriter) adoptNew() (ending bool) {
	f.mu.Lock()
	sinks, ending := f.sinks[len(f.tracks):], f.ending
	f.mu.Unlock()
	for _, s := range sinks {
		s.state.adopted = true
		f.tracks = append(f.tracks, s.state)
	}
	return ending
}

func (f *fileWriter) drainEvents() {
	for {
		select {
		case ev := <-f.events:
			f.handle(ev)
		default:
			return
		}
	}
}

func (f *fileWriter) handle(ev event) {
	t := ev.sink.state
	if !t.adopted {
		f.adoptNew()
	}
	if ev.pkt == nil {
		f.senderReport(t, ev)
		return
	}
	if t.gone {
		f.rec.packets.Put(ev.pkt)
		return
	}
	if f.firstAt == 0 {
		f.firstAt = ev.at
	}
	for _, s := range t.push(ev.pkt, ev.at, time.Unix(0, ev.at)) {
		f.timeline.add(s)
	}
	f.release(ev.at, false)
}

// senderReport re-anchors a track's clock. The first report of the file
// fixes the offset from the sender's clock to ours for all its tracks.
func (f *fileWriter) senderReport(t *track, ev event) {
	if !f.haveOffset {
		f.senderToLocal, f.haveOffset = ev.at-ntpToUnixNano(ev.ntp), true
	}
	t.clock.observeSR(ev.rtpTime, ev.ntp, f.senderToLocal)
	f.release(ev.at, false)
}

func (f *fileWriter) flushTrack(t *track) {
	for _, s := range t.flush(f.rec.now()) {
		f.timeline.add(s)
	}
	t.gone = true
	f.release(f.rec.now().UnixNano(), false)
}

func (f *fileWriter) tick() {
	now := f.rec.now()
	for _, t := range f.tracks {
		t.tick(now, f.rec.cfg.KeyframeInterval)
	}
}

// end writes out everything buffered, finishes the file and reports to the call.
func (f *fileWriter) end() {
	for _, t := range f.tracks {
		if !t.gone {
			f.flushTrack(t)
		}
	}
	f.release(f.rec.now().UnixNano(), true)
	if f.out == nil {
		f.startFromPreroll()
	}
	f.finishPart()
	f.call.writerDone(f)
}
