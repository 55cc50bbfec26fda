package recordings

import (
	"fmt"
	"sync"
	"testing"
)

// Calls starting together attach their tracks from many goroutines at once:
// each party's audio and camera still go to one file writer of their own.
func TestTracksOfCallsStartingTogether(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	const n = 20
	parties := make([]*party, 2*n)
	var wg sync.WaitGroup
	for i := range parties {
		call := testCall
		call.ID = fmt.Sprintf("call-%d", i/2)
		name := []string{"station", "agent"}[i%2]
		wg.Go(func() {
			p := &party{}
			p.audio = tr.newSink(call, trackSpec{party: name, source: "audio", codec: opusCodec}, nil)
			p.video = tr.newSink(call, trackSpec{party: name, source: "camera", codec: vp8Codec}, p)
			parties[i] = p
		})
	}
	wg.Wait()
	writers := map[*fileWriter]bool{}
	for i, p := range parties {
		if p.audio == nil || p.video == nil {
			t.Fatalf("party %d: the recorder refused a track", i)
		}
		if p.audio.fw != p.video.fw {
			t.Fatalf("party %d: audio and camera went to different files", i)
		}
		writers[p.audio.fw] = true
	}
	if len(writers) != 2*n {
		t.Fatalf("%d parties recorded into %d files", 2*n, len(writers))
	}
	for i, p := range parties {
		p.close()
		if i%2 == 1 {
			tr.wait(t, fmt.Sprintf("call-%d", i/2))
		}
	}
}

// A track that arrives as its call's recording goes idle is recorded by the
// recording the recorder knows, never by one it has forgotten.
func TestTrackAfterCallWentIdle(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	first := tr.join(t, testCall, "agent", false)
	first.close()
	tr.wait(t, testCall.ID)
	again := tr.join(t, testCall, "agent", false)
	tr.mu.Lock()
	c := tr.calls[testCall.ID]
	tr.mu.Unlock()
	if c == nil || c != again.audio.fw.call {
		t.Fatal("the later track went to a recording the recorder has forgotten")
	}
	again.close()
	tr.wait(t, testCall.ID)
}

// After Close, no track is recorded.
func TestNoTrackAfterClose(t *testing.T) {
	tr := newTestRecorder(t, testSQLite(t), t.TempDir())
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if s := tr.newSink(testCall, trackSpec{party: "agent", source: "audio", codec: opusCodec}, nil); s != nil {
		t.Fatal("a closed recorder took a track")
	}
}
