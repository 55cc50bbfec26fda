package media

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Limiter operations in the tables below.
const (
	kfRequest  = iota // a subscriber asks (request)
	kfFresh           // a subscriber just bound asks (requestFresh)
	kfDue             // the read loop checks for a remembered request (due)
	kfKeyframe        // a keyframe from the publisher passes (arrived)
)

type keyframeStep struct {
	at   time.Duration
	op   int
	want bool // for the ops that answer
}

func runKeyframeSteps(t *testing.T, steps []keyframeStep) {
	t.Helper()
	start := time.Unix(1000, 0)
	now := start
	k := newKeyframeLimiter(500*time.Millisecond, func() time.Time { return now })
	for i, s := range steps {
		now = start.Add(s.at)
		var got bool
		switch s.op {
		case kfRequest:
			got = k.request()
		case kfFresh:
			got = k.requestFresh()
		case kfDue:
			got = k.due()
		case kfKeyframe:
			k.arrived()
			continue
		}
		if got != s.want {
			t.Errorf("step %d at %v (op %d): got %v, want %v", i, s.at, s.op, got, s.want)
		}
	}
}

func TestKeyframeLimiterAllowsOnePerInterval(t *testing.T) {
	runKeyframeSteps(t, []keyframeStep{
		{0, kfRequest, true},                      // first request goes out
		{5 * time.Millisecond, kfKeyframe, false}, // and is answered
		{10 * time.Millisecond, kfRequest, false}, // held back…
		{20 * time.Millisecond, kfRequest, false}, // …and coalesced with the previous one
		{400 * time.Millisecond, kfDue, false},    // not due yet
		{500 * time.Millisecond, kfDue, true},     // the held request goes out once
		{510 * time.Millisecond, kfDue, false},    // and only once
		{550 * time.Millisecond, kfKeyframe, false},
		{600 * time.Millisecond, kfRequest, false}, // inside the new interval
		{1100 * time.Millisecond, kfDue, true},
		{2000 * time.Millisecond, kfDue, false},    // nothing pending
		{2000 * time.Millisecond, kfRequest, true}, // a lone request is immediate
	})
}

// A request made while the keyframe last asked for is still to come is
// served by it: nothing is remembered, so the publisher sends one keyframe,
// not a second one half a second later.
func TestKeyframeLimiterAsksNothingMoreWhileAKeyframeIsAwaited(t *testing.T) {
	runKeyframeSteps(t, []keyframeStep{
		{0, kfFresh, true},                         // the accept asks
		{50 * time.Millisecond, kfRequest, false},  // a recorder starts: the keyframe is on its way
		{120 * time.Millisecond, kfRequest, false}, // and asks again
		{150 * time.Millisecond, kfKeyframe, false},
		{500 * time.Millisecond, kfDue, false}, // no second keyframe
		{600 * time.Millisecond, kfRequest, true},
		// A keyframe that does not come holds nothing back past the interval.
		{700 * time.Millisecond, kfRequest, false},
		{1100 * time.Millisecond, kfDue, false},
		{1100 * time.Millisecond, kfRequest, true},
		// After a keyframe, a request is remembered as before.
		{1150 * time.Millisecond, kfKeyframe, false},
		{1200 * time.Millisecond, kfRequest, false},
		{1600 * time.Millisecond, kfDue, true},
	})
}

func TestKeyframeLimiterBurstSendsAtMostOnePerInterval(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	k := newKeyframeLimiter(keyframeInterval, func() time.Time { return now })
	sent := 0
	// 1000 requests and 1000 packets spread over 2 s.
	for i := range 1000 {
		now = start.Add(time.Duration(i) * 2 * time.Millisecond)
		if k.request() {
			sent++
		}
		if k.due() {
			sent++
		}
	}
	if sent < 4 || sent > 5 {
		t.Errorf("sent %d keyframe requests in 2 s, want 4 or 5 (one per 500 ms)", sent)
	}
}

func TestPacketCache(t *testing.T) {
	var c packetCache
	pkt := func(seq uint16) []byte { return bytes.Repeat([]byte{byte(seq)}, 100+int(seq%50)) }
	for seq := uint16(65000); seq != 700; seq++ { // wraps around 65535
		c.store(seq, pkt(seq))
	}
	buf := make([]byte, maxPacketSize)
	tests := []struct {
		seq  uint16
		want bool
	}{
		{699, true},
		{700 - packetCacheSize, true},      // oldest kept
		{700 - packetCacheSize - 1, false}, // evicted
		{65100, false},                     // long gone
		{700, false},                       // never sent
	}
	for _, tc := range tests {
		n, _ := c.get(tc.seq, buf)
		if got := n > 0; got != tc.want {
			t.Errorf("get(%d) found=%v, want %v", tc.seq, got, tc.want)
			continue
		}
		if tc.want && !bytes.Equal(buf[:n], pkt(tc.seq)) {
			t.Errorf("get(%d) returned another packet", tc.seq)
		}
	}
	c.store(5000, make([]byte, maxPacketSize+1))
	if n, _ := c.get(5000, buf); n != 0 {
		t.Errorf("oversized packet was cached")
	}
}

func TestMatchCodec(t *testing.T) {
	h264 := func(fmtp string, pt webrtc.PayloadType) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "video/h264", ClockRate: 90000, SDPFmtpLine: fmtp}, PayloadType: pt}
	}
	vp8 := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: "video/VP8", ClockRate: 90000}, PayloadType: 120}
	offered := []webrtc.RTPCodecParameters{vp8, h264("profile-level-id=42001f", 102), h264("profile-level-id=42e01f", 106)}

	tests := []struct {
		name   string
		want   webrtc.RTPCodecParameters
		wantPT webrtc.PayloadType
		ok     bool
	}{
		{"vp8 case-insensitive", webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}, 120, true},
		{"h264 exact profile", h264("profile-level-id=42e01f", 108), 106, true},
		{"h264 other profile falls back", h264("profile-level-id=640032", 108), 102, true},
		{"vp9 not offered", webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP9, ClockRate: 90000}}, 0, false},
	}
	for _, tc := range tests {
		got, ok := matchCodec(tc.want, offered)
		if ok != tc.ok || (ok && got.PayloadType != tc.wantPT) {
			t.Errorf("%s: got pt %d ok=%v, want pt %d ok=%v", tc.name, got.PayloadType, ok, tc.wantPT, tc.ok)
		}
	}
}

func TestStreamIDsGroupCameraWithAudio(t *testing.T) {
	for _, tc := range []struct {
		party string
		src   Source
		want  string
	}{
		{"station", SourceAudio, "station-main"},
		{"station", SourceCamera, "station-main"},
		{"station", SourceDocument, "station-document"},
		{"agent", SourceCamera, "agent-main"},
	} {
		if got := streamID(tc.party, tc.src); got != tc.want {
			t.Errorf("streamID(%s, %s) = %s, want %s", tc.party, tc.src, got, tc.want)
		}
	}
}

func TestKeyframeForANewSubscriberWaitsOnlyForAFreshRequest(t *testing.T) {
	runKeyframeSteps(t, []keyframeStep{
		{0, kfRequest, true},                    // a recorder asks
		{50 * time.Millisecond, kfFresh, false}, // its keyframe is still to come: the subscriber gets it too
		{200 * time.Millisecond, kfFresh, true}, // that one came and went: ask again at once
		{300 * time.Millisecond, kfRequest, false},
		{400 * time.Millisecond, kfFresh, true},
	})
}

// TestUpTrackAsksOneKeyframeForAnAcceptAndItsRecorder: the accept asks the
// publisher for a keyframe, and a recorder that starts before it comes asks
// too. The publisher is asked once; once the keyframe has passed, whoever
// missed it is asked for again.
func TestUpTrackAsksOneKeyframeForAnAcceptAndItsRecorder(t *testing.T) {
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	var plis atomic.Int32
	info := TrackInfo{Kind: webrtc.RTPCodecTypeVideo, SSRC: 7, Codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}}}
	up := newUpTrack(info, &peerCounters{}, m, func([]rtcp.Packet) error { plis.Add(1); return nil })
	seq := uint16(0)
	send := func(key bool, d time.Duration) {
		for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			tag := byte(0x01) // inter frame
			if key {
				tag, key = 0x00, false
			}
			seq++
			raw, _ := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7}, Payload: []byte{0x10, tag, 0, 0}}).Marshal()
			up.forward(raw)
		}
	}

	up.requestFreshKeyframe() // the accept
	send(false, 50*time.Millisecond)
	up.requestKeyframe() // the recorder starts before the keyframe came
	send(true, 2*keyframeInterval)
	if n := plis.Load(); n != 1 {
		t.Fatalf("the publisher was asked %d times for the accept's keyframe, want once", n)
	}
	up.requestKeyframe() // someone who missed that keyframe
	send(false, 2*keyframeInterval)
	if n := plis.Load(); n != 2 {
		t.Fatalf("a request after the keyframe: %d requests in all, want 2", n)
	}
}

// A sink's wish for a seek point is granted only for a publisher that sends
// enough that a keyframe costs its picture nothing to see; a keyframe the
// sink needs is always asked for.
func TestSeekPointsOnlyForPublishersThatSendEnough(t *testing.T) {
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		bytes uint64 // sent in the 10 s since the last wish
		want  int32  // keyframe requests for the wish
	}{
		{"a good link's camera, 1.2 Mbit/s", 1_500_000, 1},
		{"an island link's, 240 kbit/s", 300_000, 0},
		{"nothing sent", 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			counters := &peerCounters{}
			counters.bytesPublished.Store(40_000)
			var plis atomic.Int32
			info := TrackInfo{Kind: webrtc.RTPCodecTypeVideo, SSRC: 7}
			up := newUpTrack(info, counters, m, func([]rtcp.Packet) error { plis.Add(1); return nil })
			up.seekPoints.at = time.Now().Add(-10 * time.Second)
			counters.bytesPublished.Add(c.bytes)
			sinkKeyframes{up}.RequestSeekPoint()
			if got := plis.Load(); got != c.want {
				t.Fatalf("a seek point wish made %d keyframe requests, want %d", got, c.want)
			}
			up.keyframes.last = time.Time{} // past the limiter's interval
			sinkKeyframes{up}.RequestKeyframe()
			if got := plis.Load(); got != c.want+1 {
				t.Errorf("a keyframe the sink needs was not asked for")
			}
		})
	}
}
