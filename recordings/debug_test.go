package recordings

import (
	"testing"
	"time"
)

func TestDebugDump(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 10 * time.Second, senderOffset: 3*time.Second + 170*time.Millisecond,
		audioDelay: 20 * time.Millisecond, videoDelay: 250 * time.Millisecond, keyEvery: 50, srEvery: time.Second}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, st.arrivals())
	p.close()
	tr.wait(t, testCall.ID)
	files := tr.files(t, testCall.ID)
	t.Logf("%+v", files)
	f := parseFile(t, tr.pathOf(files[0]))
	t.Logf("dur %v cues %+v seek %+v tracks %+v", f.segment.Info.Duration, f.segment.Cues, f.segment.SeekHead, f.segment.Tracks)
	for i, b := range f.blocks[:20] {
		t.Logf("%d track %d at %v key %v cap %v", i, b.track, b.at, b.key, captureOf(b.track == 1, b.data))
	}
	t.Logf("blocks %d key requests %d", len(f.blocks), p.keyRequests.Load())
}
