package recordings

import (
	"testing"
	"time"

	"github.com/pion/rtp/codecs"
)

// l1t3 is libwebrtc's three-layer VP8 pattern (DefaultTemporalLayers), a
// frame at a time: its layer, whether it is a layer sync, and the frames
// before it (within the pattern) it refers to.
var l1t3 = [8]struct {
	tid  uint8
	sync bool
	refs []int // how many frames back
}{
	{0, false, []int{4}},
	{2, true, []int{1}},
	{1, true, []int{2}},
	{2, false, []int{3, 1}},
	{0, false, []int{4}},
	{2, false, []int{1, 3}},
	{1, false, []int{2, 4}},
	{2, false, []int{3, 1}},
}

// inLayers gives the video of a stream (one keyframe, at its start) the
// payload descriptors of that pattern: TL0PICIDX, TID and, if marked, Y.
func inLayers(t *testing.T, in []arrival, marked bool) []arrival {
	t.Helper()
	out := make([]arrival, len(in))
	for i, a := range in {
		out[i] = a
		if !a.video || a.pkt == nil {
			continue
		}
		var d codecs.VP8Packet
		if _, err := d.Unmarshal(a.pkt.Payload); err != nil {
			t.Fatal(err)
		}
		n := int(a.pkt.Timestamp-videoTS0) / 3600
		l := l1t3[n%8]
		y := byte(0)
		if l.sync && marked {
			y = 0x20
		}
		desc := []byte{0x80 | d.S<<4 | d.PID, 0xe0, 0x80 | byte(n>>8), byte(n), byte(n / 4), l.tid<<6 | y}
		p := *a.pkt
		p.Payload = append(desc, d.Payload...)
		out[i].pkt = &p
	}
	return out
}

// TestLayersLostAboveTheBaseAskNoKeyframe loses whole frames of a camera in
// temporal layers: a frame lost above the base costs no keyframe, and the
// file keeps every frame whose references it holds; a lost base frame asks
// for one, as does a sender that marks no layer sync. Every frame written has
// its references in the file.
func TestLayersLostAboveTheBaseAskNoKeyframe(t *testing.T) {
	cases := []struct {
		name      string
		lose      int // frame number
		keys      int32
		unmarked  bool // the sender marks no layer sync
		skipAfter int  // frames written without waiting for a keyframe: not ones after the loss
	}{
		{name: "TL2 lost", lose: 43, keys: 1, skipAfter: 3},
		{name: "TL1 layer sync lost", lose: 42, keys: 1, skipAfter: 4},
		{name: "TL2 layer sync lost", lose: 41, keys: 1, skipAfter: 3},
		{name: "base lost", lose: 44, keys: 2},
		{name: "TL2 lost, layer syncs unmarked", lose: 43, keys: 2, unmarked: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTestRecorder(t, testSQLite(t), t.TempDir())
			tr.queueLen = 1 << 15
			st := stream{start: tr.clock.Now(), length: 6 * time.Second, keyEvery: 1000, srEvery: time.Second}
			var kept []arrival
			for _, a := range inLayers(t, st.arrivals(), !c.unmarked) {
				if !a.video || a.pkt == nil || int(a.pkt.Timestamp-videoTS0)/3600 != c.lose {
					kept = append(kept, a)
				}
			}
			p := tr.join(t, testCall, "station", true)
			tr.feed(p, kept)
			p.close()
			tr.wait(t, testCall.ID)
			if n := p.keyRequests.Load(); n != c.keys {
				t.Errorf("keyframe requests = %d, want %d", n, c.keys)
			}
			written := framesWritten(t, tr)
			for n := range written {
				for _, back := range l1t3[n%8].refs {
					if n > 0 && !written[n-back] {
						t.Fatalf("frame %d is in the file without frame %d it refers to", n, n-back)
					}
				}
			}
			if c.keys == 1 && len(written) != 150-1-c.skipAfter {
				t.Errorf("%d of 150 frames in the file, want all but the lost one and %d after it", len(written), c.skipAfter)
			}
		})
	}
}

// framesWritten reads which video frames, by number, the call's file holds.
func framesWritten(t *testing.T, tr *testRecorder) map[int]bool {
	t.Helper()
	files := tr.files(t, testCall.ID)
	if len(files) != 1 {
		t.Fatalf("files = %+v", files)
	}
	f := parseFile(t, tr.pathOf(files[0]))
	written := map[int]bool{}
	for _, b := range f.blocksOf(f.trackNumber(t, "V_VP8")) {
		written[int(captureOf(true, b.data)/videoFrame)] = true
	}
	return written
}
