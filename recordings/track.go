package recordings

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// keyframeRetry spaces out the recorder's own keyframe requests.
const keyframeRetry = time.Second

// sample is one complete frame on the wall clock.
type sample struct {
	t    *track
	ts   uint32 // RTP timestamp
	wall int64  // Unix nanoseconds
	dur  int64  // nanoseconds
	key  bool
	data []byte
}

// track is the writer goroutine's state for one recorded track: it turns
// packets into frames, puts them on the wall clock and decides which video
// frames can be decoded.
type track struct {
	sink    *trackSink
	builder *frameBuilder
	clock   rtpClock

	adopted bool      // the writer knows it (see fileWriter.adoptNew)
	number  uint64    // track number in the open file, 0 if not in it
	key     frameInfo // from the first keyframe: the file header needs it
	ready   bool      // audio: has frames; video: has had a keyframe
	gone    bool      // the track ended and its frames are flushed

	needKey       bool // video: frames are dropped until a keyframe
	layers        layerChain
	lastMs        int64 // last block time written, to keep them increasing
	lastDur       int64
	lastKeyAt     time.Time
	lastRequestAt time.Time
	popped        []sample
}

func newTrack(s *trackSink, pool *sync.Pool) *track {
	rate := s.spec.codec.ClockRate
	if rate == 0 {
		rate = 90000
	}
	builder := newFrameBuilder(s.codec.maxLate, s.codec.newDepacketizer(), rate, time.Second, func(p *rtp.Packet) { pool.Put(p) })
	builder.layerOf = s.codec.layerOf
	return &track{
		sink:    s,
		builder: builder,
		clock:   rtpClock{rate: int64(rate)},
		needKey: s.codec.video,
	}
}

func (t *track) video() bool { return t.sink.codec.video }

// push feeds one packet and returns the frames it completed.
func (t *track) push(p *rtp.Packet, arrival int64, now time.Time) []sample {
	if t.video() && t.lastRequestAt.IsZero() {
		// The publisher's last keyframe went out before the recorder
		// joined: the file needs a fresh one to start.
		t.askKeyframe(now)
	}
	t.clock.observePacket(p.Timestamp, arrival)
	t.builder.push(p)
	return t.pop(now)
}

// flush returns every frame still buffered, for the end of the track.
func (t *track) flush(now time.Time) []sample {
	t.builder.flush()
	return t.pop(now)
}

func (t *track) pop(now time.Time) []sample {
	t.popped = t.popped[:0]
	for s, ok := t.builder.pop(); ok; s, ok = t.builder.pop() {
		if out, ok := t.prepare(s, now); ok {
			t.popped = append(t.popped, out)
		}
	}
	return t.popped
}

// prepare places a frame on the wall clock and drops video frames that
// can't be decoded: after a loss, until the next keyframe, or in temporal
// layers until the layers the frame needs decode again.
func (t *track) prepare(s frame, now time.Time) (sample, bool) {
	out := sample{t: t, ts: s.ts, wall: t.clock.wall(s.ts), dur: int64(s.dur), key: true, data: s.data}
	if !t.video() {
		t.ready = true
		return out, true
	}
	// A pause without a loss (a camera that froze, an encoder skipping frames
	// to pay for a keyframe on a weak link) needs no keyframe: what follows
	// it decodes; nor does the publisher's padding. A loss does, below,
	// unless the stream's temporal layers show that only frames above the
	// base were lost (layerChain).
	info := t.sink.codec.inspect(s.data)
	out.key = info.key
	if info.key {
		t.needKey, t.lastKeyAt = false, now
		t.layers.keyframe(s.layer)
		if !t.ready {
			t.key, t.ready = info, true
		}
		return out, true
	}
	lost := s.dropped > s.padding
	if lost {
		t.layers.lost()
	}
	switch {
	case t.needKey:
		return out, false
	case s.layer.known && t.layers.decodes(s.layer):
		return out, true
	case s.layer.known && t.layers.base && !t.layers.stuck():
		return out, false // a layer above the base syncs again shortly
	case s.layer.known || lost:
		t.needKey = true
		t.requestKeyframe(now)
		return out, false
	}
	return out, true
}

// requestKeyframe asks the publisher for a keyframe, at most once per
// keyframeRetry (the SFU coalesces requests from everyone as well).
func (t *track) requestKeyframe(now time.Time) {
	if now.Sub(t.lastRequestAt) >= keyframeRetry {
		t.askKeyframe(now)
	}
}

func (t *track) askKeyframe(now time.Time) {
	t.lastRequestAt = now
	if t.sink.keyframes != nil {
		t.sink.keyframes.RequestKeyframe()
	}
}

// tick asks again while waiting for a keyframe, and wishes for one every
// interval so the file has seek points: a wish the SFU grants only where a
// keyframe costs the call nothing to see (media.KeyframeRequester).
func (t *track) tick(now time.Time, interval time.Duration) {
	switch {
	case !t.video() || t.gone:
	case t.needKey:
		t.requestKeyframe(now)
	case interval > 0 && now.Sub(t.lastKeyAt) >= interval && now.Sub(t.lastRequestAt) >= interval:
		t.lastRequestAt = now
		if t.sink.keyframes != nil {
			t.sink.keyframes.RequestSeekPoint()
		}
	}
}
