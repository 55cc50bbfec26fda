package recordings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/at-wat/ebml-go/webm"
	"github.com/google/uuid"
)

// partFile is one open recording file and its index row.
type partFile struct {
	row    File
	f      recordingFile
	mux    *webmWriter
	origin int64 // wall time of the file's 0 ms, Unix nanoseconds
}

// startPart opens a new file holding every track ready now, timed from
// origin. trigger is the video track whose keyframe starts it, if any;
// other video tracks wait for their next keyframe. pending are frames
// about to be written that are no longer in the timeline.
func (f *fileWriter) startPart(origin int64, trigger *track, pending []sample) {
	in := f.partTracks(trigger, pending)
	if len(in) == 0 {
		return
	}
	// Video first: players pick the first video track as the main one.
	sort.SliceStable(in, func(i, j int) bool { return in[i].video() && !in[j].video() })
	out, err := f.openPart(origin, in)
	if err != nil {
		f.fail(err)
		return
	}
	for i, t := range in {
		t.number, t.lastMs = uint64(i+1), -1
		if t.video() && t != trigger {
			t.needKey = true
			t.requestKeyframe(f.rec.now())
		}
	}
	f.out = out
	f.rec.metrics.started.Inc()
	f.rec.metrics.active.Inc()
	f.call.indexFile(out.row)
	f.recovered()
}

// partTracks returns the tracks a new part holds: those ready and still
// live, or ended with frames still to write.
func (f *fileWriter) partTracks(trigger *track, pending []sample) []*track {
	frames := map[*track]bool{trigger: true}
	for _, s := range pending {
		frames[s.t] = true
	}
	for _, s := range f.timeline.queue {
		frames[s.t] = true
	}
	var in []*track
	for _, t := range f.tracks {
		t.number = 0
		if t.ready && (!t.gone || frames[t]) {
			in = append(in, t)
		}
	}
	return in
}

func (f *fileWriter) openPart(origin int64, in []*track) (*partFile, error) {
	start := time.Unix(0, origin)
	entries := make([]webm.TrackEntry, len(in))
	var names []string
	docType, ext, contentType := "webm", "webm", "video/webm"
	cueTrack := uint64(1) // the first track: video if there is one
	for i, t := range in {
		c := t.sink.codec
		entries[i] = c.trackEntry(uint64(i+1), t.sink.spec.codec, t.key)
		names = append(names, c.name)
		if c.matroska {
			docType, ext, contentType = "matroska", "mkv", "video/x-matroska"
		}
	}
	if !in[0].video() {
		contentType = "audio/webm"
	}
	file, rel, err := f.createFile(start, ext)
	if err != nil {
		return nil, err
	}
	mux, err := newWebmWriter(file, docType, entries, cueTrack, start)
	if err != nil {
		// Without a whole header there is nothing to play or repair.
		file.Close()
		os.Remove(filepath.Join(f.rec.dir, filepath.FromSlash(rel)))
		return nil, fmt.Errorf("start %s: %w", rel, err)
	}
	row := File{
		ID: uuid.NewString(), CallID: f.call.info.ID, Party: f.group, Part: f.part, Path: rel,
		ContentType: contentType, Tracks: strings.Join(names, "+"), Node: f.rec.cfg.Node,
		StartedAt: start, Status: StatusRecording,
	}
	return &partFile{row: row, f: file, mux: mux, origin: origin}, nil
}

// maxParts bounds the search for a free file name.
const maxParts = 1000

// createFile makes <dir>/YYYY/MM/DD/<call>-<group>[-<part>].<ext>, taking
// the next free part number so nothing already recorded is overwritten.
func (f *fileWriter) createFile(start time.Time, ext string) (recordingFile, string, error) {
	day := start.Format("2006/01/02")
	if err := os.MkdirAll(filepath.Join(f.rec.dir, filepath.FromSlash(day)), 0o750); err != nil {
		return nil, "", fmt.Errorf("create recordings directory: %w", err)
	}
	for ; f.part <= maxParts; f.part++ {
		name := fmt.Sprintf("%s-%s.%s", safeName(f.call.info.ID), f.group, ext)
		if f.part > 1 {
			name = fmt.Sprintf("%s-%s-%d.%s", safeName(f.call.info.ID), f.group, f.part, ext)
		}
		rel := day + "/" + name
		file, err := f.rec.openFile(filepath.Join(f.rec.dir, filepath.FromSlash(rel)))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", fmt.Errorf("create recording file %s: %w", rel, err)
		}
		return file, rel, nil
	}
	return nil, "", fmt.Errorf("create recording file: %d parts exist", maxParts)
}

func (p *partFile) writeBlock(track uint64, ms int64, key bool, data []byte) error {
	return guard(func() error { return p.mux.writeBlock(track, ms, key, data) })
}

// finishPart closes the open file properly and records its size and hash.
func (f *fileWriter) finishPart() {
	p := f.out
	if p == nil {
		return
	}
	f.out = nil
	f.part++
	f.rec.metrics.active.Dec()
	lastFrameMs := int64(0) // how long the last frame shows
	for _, t := range f.tracks {
		if t.number != 0 && t.lastMs == p.mux.endMs {
			lastFrameMs = max(lastFrameMs, t.lastDur/int64(time.Millisecond))
		}
	}
	err := guard(func() error { return p.mux.finish(lastFrameMs) })
	if cerr := p.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	if err == nil {
		err = p.row.complete(f.rec.dir, p.mux.durationMs()+lastFrameMs, StatusFinished)
	}
	if err != nil {
		err = fmt.Errorf("finish %s: %w", p.row.Path, err)
		p.markFailed(failureCode(err))
		f.call.indexFile(p.row)
		f.fail(err)
		return
	}
	f.rec.metrics.finished.Inc()
	f.call.indexFile(p.row)
}

func (p *partFile) markFailed(code string) {
	d := p.mux.durationMs()
	p.row.Status, p.row.Error = StatusFailed, code
	p.row.EndedAt = p.row.StartedAt.Add(time.Duration(d) * time.Millisecond)
	p.row.DurationMs, p.row.SizeBytes = d, p.mux.off
}

// guard turns a panic inside the muxer or its library into an error, so a
// bad frame fails one recording instead of the server.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: panic: %v", errMuxer, r)
		}
	}()
	return fn()
}

// safeName keeps a call id usable as part of a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
