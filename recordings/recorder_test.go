package recordings

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
)

func TestRecordingIsSeekableAndInSync(t *testing.T) {
	// Video takes 230 ms longer than audio to arrive, and the sender's
	// clock is 3.17 s off ours: only the sender reports can line them up.
	cases := []struct {
		name   string
		srFrom time.Duration
	}{
		{"reports from the start", 0},
		{"first reports after 1.5 s", 1500 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := stream{length: 10 * time.Second, senderOffset: 3*time.Second + 170*time.Millisecond,
				audioDelay: 20 * time.Millisecond, videoDelay: 250 * time.Millisecond, keyEvery: 50,
				srEvery: time.Second, srFrom: tc.srFrom}
			checkSeekableAndInSync(t, st)
		})
	}
}

func checkSeekableAndInSync(t *testing.T, st stream) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st.start = tr.clock.Now()
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, st.arrivals())
	p.close()
	tr.wait(t, testCall.ID)

	files := tr.files(t, testCall.ID)
	if len(files) != 1 || files[0].Party != "station" || files[0].Status != StatusFinished {
		t.Fatalf("files = %+v, want one finished station file", files)
	}
	f := parseFile(t, tr.pathOf(files[0]))
	video, audio := f.trackNumber(t, "V_VP8"), f.trackNumber(t, "A_OPUS")
	if f.segment.Cues == nil || len(f.segment.Cues.CuePoint) < 4 {
		t.Fatalf("want a cue per keyframe (every 2 s), got %+v", f.segment.Cues)
	}
	for _, c := range f.segment.Cues.CuePoint {
		if pos := c.CueTrackPositions[0].CueClusterPosition; f.elementAt(pos) != elemCluster {
			t.Errorf("cue at %d ms points at %d, not at a cluster", c.CueTime, pos)
		}
	}
	assertSeekHeadFindsCues(t, f)
	if d := f.segment.Info.Duration; math.Abs(d-10000) > 500 {
		t.Errorf("Duration = %.0f ms, want 10000 ± 5%%", d)
	}
	vb, ab := f.blocksOf(video), f.blocksOf(audio)
	if len(vb) < 240 || len(ab) < 480 {
		t.Fatalf("got %d video and %d audio blocks, want ~250 and ~500", len(vb), len(ab))
	}
	if !vb[0].key {
		t.Error("the first video block is not a keyframe")
	}
	origin := captureOf(true, vb[0].data)
	assertInSync(t, "video", true, vb, origin, time.Millisecond)
	assertInSync(t, "audio", false, ab, origin, 100*time.Millisecond)

	sum := sha256.Sum256(f.raw)
	if files[0].SizeBytes != int64(len(f.raw)) || files[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("index has size %d sha %s, file has %d bytes", files[0].SizeBytes, files[0].SHA256, len(f.raw))
	}
	s, err := tr.Session(t.Context(), testCall.ID)
	if err != nil || s.Status != StatusFinished || s.StationName != testCall.StationName || !s.Island {
		t.Fatalf("session = %+v, %v", s.Session, err)
	}
	if got := metricValue(t, tr.metrics.finished); got != 1 {
		t.Errorf("finished metric = %v, want 1", got)
	}
}

// assertInSync checks every block sits at its capture time from origin.
func assertInSync(t *testing.T, name string, video bool, blocks []parsedBlock, origin, tolerance time.Duration) {
	t.Helper()
	worst := time.Duration(0)
	for _, b := range blocks {
		off := b.at - (captureOf(video, b.data) - origin)
		if off < 0 {
			off = -off
		}
		worst = max(worst, off)
	}
	if worst > tolerance {
		t.Errorf("%s blocks are up to %v away from their capture time, want ≤ %v", name, worst, tolerance)
	}
}

func assertSeekHeadFindsCues(t *testing.T, f parsed) {
	t.Helper()
	if f.segment.SeekHead == nil {
		t.Fatal("no SeekHead")
	}
	for _, s := range f.segment.SeekHead.Seek {
		if string(s.SeekID) == string(ebml.ElementCues.Bytes()) {
			if f.elementAt(s.SeekPosition) != elemCues {
				t.Fatalf("SeekHead points Cues at %d, which is not Cues", s.SeekPosition)
			}
			return
		}
	}
	t.Fatal("SeekHead has no Cues entry")
}
