package recordings

import (
	"sort"
	"time"
)

const (
	// interleaveWindow is how long frames wait so that the tracks' frames
	// reach the file in time order although they arrive out of order (a
	// keyframe takes longer to arrive than the audio captured with it).
	interleaveWindow = int64(300 * time.Millisecond)
	// startWait is how much audio is kept while waiting for the first
	// video keyframe; past it the file starts without video.
	startWait = int64(2 * time.Second)
	// syncWait is how long frames are held at the start for every track's
	// first sender report (browsers send one within a second or two).
	syncWait = int64(3 * time.Second)
)

// timeline orders frames of all tracks of a file by wall-clock time.
type timeline struct {
	queue   []sample // sorted by wall, a window moving along base
	base    []sample // the array queue lives in
	newest  int64
	preroll []sample // audio emitted before the file started
}

// add inserts s in order; frames mostly come in order, so the search
// starts at the end.
func (tl *timeline) add(s sample) {
	if len(tl.queue) == cap(tl.queue) && 2*len(tl.queue) <= cap(tl.base) {
		// The queue reached the end of its array while most of it lies
		// free behind: move it back to the start instead of growing.
		tl.queue = append(tl.base[:0], tl.queue...)
		clear(tl.base[len(tl.queue):cap(tl.base)])
	}
	room := cap(tl.queue)
	i := len(tl.queue)
	for i > 0 && tl.queue[i-1].wall > s.wall {
		i--
	}
	tl.queue = append(tl.queue, sample{})
	if cap(tl.queue) != room {
		tl.base = tl.queue[:0] // a new array
	}
	copy(tl.queue[i+1:], tl.queue[i:])
	tl.queue[i] = s
	tl.newest = max(tl.newest, s.wall)
}

// next pops the oldest frame once it is outside the window (any frame when
// flushing).
func (tl *timeline) next(flush bool) (sample, bool) {
	if len(tl.queue) == 0 || (!flush && tl.queue[0].wall > tl.newest-interleaveWindow) {
		return sample{}, false
	}
	s := tl.queue[0]
	tl.queue[0] = sample{}
	tl.queue = tl.queue[1:]
	return s, true
}

// retime puts every held frame on its track's current clock: the first
// sender reports moved the clocks off the packets' arrival times.
func (tl *timeline) retime() {
	tl.newest = 0
	for i := range tl.queue {
		s := &tl.queue[i]
		s.wall = s.t.clock.wall(s.ts)
		tl.newest = max(tl.newest, s.wall)
	}
	sort.SliceStable(tl.queue, func(i, j int) bool { return tl.queue[i].wall < tl.queue[j].wall })
}

// release writes out the frames that are due. Until every track's clock
// comes from a sender report (or syncWait passed, for senders that send
// none) frames are only held, so that the start of the file is in sync
// too, not just what follows the first reports.
func (f *fileWriter) release(now int64, flush bool) {
	if !f.synced && (flush || f.clocksFromSR() || (f.firstAt != 0 && now-f.firstAt >= syncWait)) {
		f.synced = true
		f.timeline.retime()
	}
	if f.synced {
		f.emitReady(flush)
	}
}

func (f *fileWriter) clocksFromSR() bool {
	live := 0
	for _, t := range f.tracks {
		if t.gone {
			continue
		}
		if !t.clock.fromSR {
			return false
		}
		live++
	}
	return live > 0
}

// emitReady writes every frame the window lets go.
func (f *fileWriter) emitReady(flush bool) {
	for {
		s, ok := f.timeline.next(flush)
		if !ok {
			return
		}
		f.emit(s)
	}
}

// emit sends one frame to the file. Before the file starts, audio waits in
// the preroll; a video keyframe starts the file, or startWait of audio does.
// A track that becomes ready after the file started (a camera that joined
// late) starts a new part, since a file's tracks are fixed in its header.
func (f *fileWriter) emit(s sample) {
	f.mediaNow = max(f.mediaNow, s.wall)
	if f.down && !f.retryDue() {
		return
	}
	tl := &f.timeline
	switch {
	case f.out == nil && s.t.video():
		if !s.key {
			return // after a failure: a new part starts on a keyframe
		}
		tl.preroll = nil // audio before the first keyframe is not kept
		f.startPart(s.wall, s.t, nil)
	case f.out == nil:
		tl.preroll = append(tl.preroll, s)
		if s.wall-tl.preroll[0].wall >= startWait {
			f.startFromPreroll()
		}
		return
	case s.t.number == 0:
		f.finishPart()
		f.startPart(s.wall, s.t, nil)
	}
	f.write(s)
}

// startFromPreroll starts an audio-only file with the audio kept so far.
func (f *fileWriter) startFromPreroll() {
	tl := &f.timeline
	if len(tl.preroll) == 0 {
		return
	}
	pending := tl.preroll
	tl.preroll = nil
	f.startPart(pending[0].wall, nil, pending)
	for _, s := range pending {
		f.write(s)
	}
}

// write adds a frame to the open file at its time from the file's start,
// kept strictly increasing per track.
func (f *fileWriter) write(s sample) {
	if f.out == nil || s.t.number == 0 {
		return
	}
	ms := (s.wall - f.out.origin) / int64(time.Millisecond)
	if ms <= s.t.lastMs {
		ms = s.t.lastMs + 1
	}
	s.t.lastMs, s.t.lastDur = ms, s.dur
	before := f.out.mux.off
	if err := f.out.writeBlock(s.t.number, ms, s.key, s.data); err != nil {
		f.fail(err)
		return
	}
	s.t.builder.recycle(s.data) // the block holds a copy
	f.rec.metrics.bytes.Add(float64(f.out.mux.off - before))
}
