package media

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestKeyframeLimiterAllowsOnePerInterval(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	k := newKeyframeLimiter(500*time.Millisecond, func() time.Time { return now })

	steps := []struct {
		at      time.Duration
		request bool // request (true) or the read loop's due check (false)
		want    bool
	}{
		{0, true, true},                        // first request goes out
		{10 * time.Millisecond, true, false},   // held back…
		{20 * time.Millisecond, true, false},   // …and coalesced with the previous one
		{400 * time.Millisecond, false, false}, // not due yet
		{500 * time.Millisecond, false, true},  // the held request goes out once
		{510 * time.Millisecond, false, false}, // and only once
		{600 * time.Millisecond, true, false},  // inside the new interval
		{1100 * time.Millisecond, false, true},
		{2000 * time.Millisecond, false, false}, // nothing pending
		{2000 * time.Millisecond, true, true},   // a lone request is immediate
	}
	for i, s := range steps {
		now = start.Add(s.at)
		var got bool
		if s.request {
			got = k.request()
		} else {
			got = k.due()
		}
		if got != s.want {
			t.Errorf("step %d at %v (request=%v): got %v, want %v", i, s.at, s.request, got, s.want)
		}
	}
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
	start := time.Unix(1000, 0)
	now := start
	k := newKeyframeLimiter(500*time.Millisecond, func() time.Time { return now })
	steps := []struct {
		at    time.Duration
		fresh bool // a subscriber just bound (requestFresh) or anyone else (request)
		want  bool
	}{
		{0, false, true},                     // a recorder asks
		{50 * time.Millisecond, true, false}, // its keyframe is still to come: the subscriber gets it too
		{200 * time.Millisecond, true, true}, // that one came and went: ask again at once
		{300 * time.Millisecond, false, false},
		{400 * time.Millisecond, true, true},
	}
	for i, s := range steps {
		now = start.Add(s.at)
		got := k.request
		if s.fresh {
			got = k.requestFresh
		}
		if g := got(); g != s.want {
			t.Errorf("step %d at %v (fresh=%v): got %v, want %v", i, s.at, s.fresh, g, s.want)
		}
	}
}
