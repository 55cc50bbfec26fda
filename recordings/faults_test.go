package recordings

import (
	"context"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestLossAndReorderingNeverCorruptTheFile(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 12 * time.Second, audioDelay: 30 * time.Millisecond,
		videoDelay: 60 * time.Millisecond, keyEvery: 75, srEvery: time.Second}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, disorder(st.arrivals(), 7, 4, 3))
	p.close()
	tr.wait(t, testCall.ID)

	files := tr.files(t, testCall.ID)
	if len(files) != 1 || files[0].Status != StatusFinished {
		t.Fatalf("files = %+v", files)
	}
	f := parseFile(t, tr.pathOf(files[0]))
	vb, ab := f.blocksOf(f.trackNumber(t, "V_VP8")), f.blocksOf(f.trackNumber(t, "A_OPUS"))
	if len(vb) == 0 || !vb[0].key {
		t.Fatal("video must start with a keyframe")
	}
	// A decoder only sees a delta frame when it saw every frame since the
	// last keyframe: after a loss, frames are skipped up to the next one.
	for i := 1; i < len(vb); i++ {
		gap := captureOf(true, vb[i].data) - captureOf(true, vb[i-1].data)
		if !vb[i].key && gap != videoFrame {
			t.Fatalf("delta frame at %v follows a gap of %v: it would decode to garbage", vb[i].at, gap)
		}
		if vb[i].at <= vb[i-1].at {
			t.Fatalf("video block times go back at %v", vb[i].at)
		}
	}
	for i := 1; i < len(ab); i++ {
		if ab[i].at <= ab[i-1].at {
			t.Fatalf("audio block times go back at %v", ab[i].at)
		}
	}
	if len(ab) < 500 {
		t.Errorf("%d of 600 audio frames kept with 3%% loss", len(ab))
	}
	if p.keyRequests.Load() < 2 {
		t.Errorf("losses asked for %d keyframes, want a request after a loss", p.keyRequests.Load())
	}
}

func TestLongVideoGapAsksForKeyframe(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 6 * time.Second, keyEvery: 1000, srEvery: time.Second}
	var cut []arrival
	for _, a := range st.arrivals() {
		// The link drops between 2 s and 4 s: what was sent meanwhile is
		// lost, and the frames after it cannot be decoded without a keyframe.
		if at := a.at.Sub(st.start); at < 2*time.Second || at >= 4*time.Second {
			cut = append(cut, a)
		}
	}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, cut)
	p.close()
	tr.wait(t, testCall.ID)
	if n := p.keyRequests.Load(); n < 2 {
		t.Fatalf("keyframe requests = %d, want the start request and one after the gap", n)
	}
}

// A pause with nothing lost (a camera that froze, an encoder on a weak link
// skipping frames to pay for a keyframe) asks for no keyframe: the frames
// after it decode, and a keyframe would only cost the publisher's link
// another pause.
func TestVideoPauseWithoutLossAsksNoKeyframe(t *testing.T) {
	st := stream{start: time.Unix(1_700_000_000, 0), length: 6 * time.Second, keyEvery: 1000, srEvery: time.Second}
	var paused []arrival
	var seq uint16
	first := true
	for _, a := range st.arrivals() {
		if a.video && a.pkt != nil {
			if at := a.at.Sub(st.start); at >= 2*time.Second && at < 4*time.Second {
				continue // not sent: the sequence goes on after the pause
			}
			if first {
				seq, first = a.pkt.SequenceNumber, false
			}
			a.pkt.SequenceNumber = seq
			seq++
		}
		paused = append(paused, a)
	}
	recordsEveryFrameWithOneKeyframe(t, paused)
}

// A publisher without RTX probes its link with padding-only packets after a
// frame. Nothing is lost: they ask for no keyframe, which on a weak link would
// cost a stall, and every frame is written.
func TestPublisherPaddingAsksNoKeyframe(t *testing.T) {
	st := stream{start: time.Unix(1_700_000_000, 0), length: 6 * time.Second, keyEvery: 1000, srEvery: time.Second}
	arrivals, _ := padded(st.arrivals(), 4)
	recordsEveryFrameWithOneKeyframe(t, arrivals)
}

// recordsEveryFrameWithOneKeyframe records a video stream that lost nothing
// and expects only the keyframe request that starts the file, and every frame
// sent in the file.
func recordsEveryFrameWithOneKeyframe(t *testing.T, arrivals []arrival) {
	t.Helper()
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	shift := tr.clock.Now().Sub(arrivals[0].at)
	sent := 0
	for i, a := range arrivals {
		arrivals[i].at = a.at.Add(shift)
		if a.video && a.pkt != nil && a.pkt.Marker {
			sent++
		}
	}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, arrivals)
	p.close()
	tr.wait(t, testCall.ID)
	if n := p.keyRequests.Load(); n != 1 {
		t.Errorf("keyframe requests = %d, want only the one to start the file", n)
	}
	files := tr.files(t, testCall.ID)
	if len(files) != 1 {
		t.Fatalf("files = %+v", files)
	}
	f := parseFile(t, tr.pathOf(files[0]))
	if vb := f.blocksOf(f.trackNumber(t, "V_VP8")); len(vb) != sent {
		t.Errorf("%d of the %d video frames sent are in the file", len(vb), sent)
	}
}

// A track asks for a keyframe it needs, and only wishes for a seek point:
// the SFU grants that wish where a keyframe costs the call nothing.
func TestTrackOnlyWishesForSeekPoints(t *testing.T) {
	p := &party{}
	codec, _ := codecFor(vp8Codec.MimeType)
	tr := newTrack(&trackSink{spec: trackSpec{codec: vp8Codec}, codec: codec, keyframes: p}, newPacketPool())
	start := time.Unix(1_700_000_000, 0)
	steps := []struct {
		at          time.Duration
		needKey     bool
		keys, seeks int32
	}{
		{0, true, 1, 0},                      // waiting for the first keyframe
		{500 * time.Millisecond, true, 1, 0}, // asked within keyframeRetry
		{time.Second, true, 2, 0},            // asked again
		{2 * time.Second, false, 2, 0},       // the keyframe came at 1.5 s
		{12 * time.Second, false, 2, 1},      // ten seconds on: a seek point
		{15 * time.Second, false, 2, 1},      // not again within the interval
		{22 * time.Second, false, 2, 2},      // ungranted, wished for again
	}
	for _, s := range steps {
		if !s.needKey && tr.needKey {
			tr.needKey, tr.lastKeyAt = false, start.Add(1500*time.Millisecond)
		}
		tr.tick(start.Add(s.at), 10*time.Second)
		if k, w := p.keyRequests.Load(), p.seekRequests.Load(); k != s.keys || w != s.seeks {
			t.Fatalf("at %v: %d keyframe requests and %d seek point wishes, want %d and %d", s.at, k, w, s.keys, s.seeks)
		}
	}
}

// faultyFile is a recording file on a failing disk. Past limit, writes
// either fail with err, or, when err is nil, vanish as if the process had
// been killed: what reached the disk before stays, nothing after does.
type faultyFile struct {
	*os.File
	limit int64
	err   error
	mu    sync.Mutex
	dead  bool
}

func (f *faultyFile) WriteAt(b []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return len(b), nil
	}
	if off+int64(len(b)) <= f.limit {
		return f.File.WriteAt(b, off)
	}
	n := int(max(0, f.limit-off))
	f.File.WriteAt(b[:n], off) // a torn write
	if f.err != nil {
		return n, f.err
	}
	f.dead = true
	return len(b), nil
}

func (f *faultyFile) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dead {
		return nil
	}
	return f.File.Sync()
}

func openFaulty(limit int64, err error) func(string) (recordingFile, error) {
	return func(path string) (recordingFile, error) {
		f, ferr := createFile(path)
		if ferr != nil {
			return nil, ferr
		}
		return &faultyFile{File: f.(*os.File), limit: limit, err: err}, nil
	}
}

func TestRepairFinishesAFileCutShortByACrash(t *testing.T) {
	db, dir := testSQLite(t), t.TempDir()
	tr := newTestRecorder(t, db, dir)
	tr.queueLen = 1 << 15
	tr.openFile = openFaulty(120_000, nil) // the process "dies" about 5 s in
	st := stream{start: tr.clock.Now(), length: 10 * time.Second, keyEvery: 50, srEvery: time.Second}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, st.arrivals())
	p.close()
	tr.wait(t, testCall.ID)
	tr.Close()
	// The index as the dead process left it.
	ctx := context.Background()
	for _, q := range []string{`UPDATE recording_files SET status = 'recording', size_bytes = 0, sha256 = ''`,
		`UPDATE recordings SET status = 'recording'`} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	next := newTestRecorder(t, db, dir)
	if err := next.Repair(ctx); err != nil {
		t.Fatalf("repair: %v", err)
	}
	files := next.files(t, testCall.ID)
	if len(files) != 1 || files[0].Status != StatusRepaired {
		t.Fatalf("files after repair = %+v", files)
	}
	f := parseFile(t, next.pathOf(files[0]))
	if f.segment.Cues == nil || len(f.segment.Cues.CuePoint) == 0 {
		t.Fatal("repaired file has no Cues")
	}
	assertSeekHeadFindsCues(t, f)
	last := f.blocks[len(f.blocks)-1].at
	if d := f.segment.Info.Duration; d < 3500 || d > 5500 || d != float64(last.Milliseconds()) {
		t.Errorf("Duration = %.0f ms, last block at %v: want the ~5 s written before the crash", d, last)
	}
	if files[0].SizeBytes != int64(len(f.raw)) || files[0].DurationMs != last.Milliseconds() {
		t.Errorf("index says %d bytes, %d ms; file has %d bytes", files[0].SizeBytes, files[0].DurationMs, len(f.raw))
	}
	s, err := next.Session(ctx, testCall.ID)
	if err != nil || s.Status != StatusRepaired {
		t.Fatalf("session after repair: %+v %v", s.Session, err)
	}

	// A second Repair finds nothing to do.
	if err := next.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	if again := parseFile(t, next.pathOf(files[0])); len(again.raw) != len(f.raw) {
		t.Error("a second repair changed the file")
	}
}

func TestRepairMarksUnusableFilesFailed(t *testing.T) {
	db, dir := testSQLite(t), t.TempDir()
	tr := newTestRecorder(t, db, dir)
	ctx := context.Background()
	if err := tr.indexRecording(ctx, testCall, tr.now()); err != nil {
		t.Fatal(err)
	}
	empty := File{ID: "f-empty", CallID: testCall.ID, Party: "agent", Part: 1, Path: "2025/03/01/empty.webm",
		Node: "node-a", StartedAt: tr.now(), Status: StatusRecording}
	os.MkdirAll(tr.pathOf(empty)[:len(tr.pathOf(empty))-len("empty.webm")], 0o750)
	os.WriteFile(tr.pathOf(empty), []byte{0x1A, 0x45}, 0o640) // killed while writing the header
	other := empty
	other.ID, other.Node, other.Path = "f-other", "node-b", "2025/03/01/other.webm"
	for _, f := range []File{empty, other} {
		if err := tr.indexFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Repair(ctx); err != nil {
		t.Fatal(err)
	}
	files := tr.files(t, testCall.ID)
	byID := map[string]File{}
	for _, f := range files {
		byID[f.ID] = f
	}
	if f := byID["f-empty"]; f.Status != StatusFailed || f.Error != FailureRepair {
		t.Errorf("unusable file = %+v, want failed", f)
	}
	if f := byID["f-other"]; f.Status != StatusRecording {
		t.Errorf("another node's file was touched: %+v", f)
	}
	if s, _ := tr.Session(ctx, testCall.ID); s.Status != StatusFailed {
		t.Errorf("recording status = %s, want failed", s.Status)
	}
}

func TestDiskErrorsFailTheRecordingNotTheCall(t *testing.T) {
	cases := []struct {
		name     string
		open     func(string) (recordingFile, error)
		wantText string
	}{
		{"disk full mid-file", openFaulty(40_000, syscall.ENOSPC), FailureDiskFull},
		{"file cannot be created", func(string) (recordingFile, error) { return nil, syscall.EACCES }, FailurePermission},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTestRecorder(t, testSQLite(t), t.TempDir())
			tr.queueLen = 1 << 15
			tr.openFile = func(path string) (recordingFile, error) {
				if strings.Contains(path, "-station") {
					return tc.open(path)
				}
				return createFile(path)
			}
			st := stream{start: tr.clock.Now(), length: 4 * time.Second, keyEvery: 25, srEvery: time.Second}
			station := tr.join(t, testCall, "station", true)
			agent := tr.join(t, testCall, "agent", false)
			tr.feed(station, st.arrivals())
			tr.feed(agent, st.audioPackets())
			station.close()
			agent.close()
			tr.wait(t, testCall.ID)

			s, err := tr.Session(context.Background(), testCall.ID)
			if err != nil {
				t.Fatal(err)
			}
			if s.Status != StatusFailed || s.Error != tc.wantText {
				t.Errorf("recording = %s %q, want failed with %q", s.Status, s.Error, tc.wantText)
			}
			for _, f := range s.Files {
				if strings.Contains(f.Error, "/") || strings.Contains(f.Error, "recording file") {
					t.Errorf("file error shows the server's detail: %q", f.Error)
				}
			}
			for _, f := range s.Files {
				if f.Party == "agent" && f.Status != StatusFinished {
					t.Errorf("the agent's file = %+v, want finished", f)
				}
				if f.Party == "station" && f.Status != StatusFailed {
					t.Errorf("the station's file = %+v, want failed", f)
				}
			}
			if n := metricValue(t, tr.metrics.failed); n != 1 {
				t.Errorf("failed metric = %v, want 1", n)
			}
		})
	}
}
