package media

import (
	"sync"
	"sync/atomic"
	"time"
)

// keyframeInterval is the least time between two keyframe requests sent to one
// publisher's track: every keyframe costs the publisher's uplink a burst of data, and
// a room with a recorder and two subscribers would otherwise triple the requests.
const keyframeInterval = 500 * time.Millisecond

// keyframeLimiter coalesces keyframe requests for one track. A request inside the
// interval is not dropped: it is remembered and released once the interval has
// passed, so a subscriber that joins just after another still gets its keyframe.
// While the keyframe last asked for has not come, a request inside the interval
// is not even remembered: the subscriber asking is already attached and gets
// that keyframe, and remembering it would cost the publisher a second one half a
// second later (a recorder that starts as a call is accepted, say).
type keyframeLimiter struct {
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	last    time.Time // when the last request went upstream; zero: never
	pending atomic.Bool
	awaited atomic.Bool // a request went upstream and no keyframe has come since
}

func newKeyframeLimiter(interval time.Duration, now func() time.Time) *keyframeLimiter {
	return &keyframeLimiter{interval: interval, now: now}
}

// request reports whether a keyframe request may go upstream now.
func (k *keyframeLimiter) request() bool { return k.requestWithin(k.interval) }

// keyframeFresh is how recent a keyframe request must be for a subscriber that
// just started to wait for its answer instead of asking again: about a
// keyframe's round trip. An older request was answered before the subscriber
// could use it (a recorder asked as a call adopted a standing peer).
const keyframeFresh = 100 * time.Millisecond

// requestFresh is request for a subscriber that can only start at a keyframe
// still to come: it goes upstream unless one went within keyframeFresh.
func (k *keyframeLimiter) requestFresh() bool { return k.requestWithin(keyframeFresh) }

func (k *keyframeLimiter) requestWithin(interval time.Duration) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.last.IsZero() && now.Sub(k.last) < interval {
		if !k.awaited.Load() {
			k.pending.Store(true)
		}
		return false
	}
	k.sent(now)
	return true
}

// sent notes a request that goes upstream now. Called with mu held.
func (k *keyframeLimiter) sent(now time.Time) {
	k.last = now
	k.pending.Store(false)
	k.awaited.Store(true)
}

// awaiting reports whether a keyframe asked for has not come yet: one
// atomic load, for the read loop's every video packet.
func (k *keyframeLimiter) awaiting() bool { return k.awaited.Load() }

// arrived notes the start of a keyframe from the publisher.
func (k *keyframeLimiter) arrived() { k.awaited.Store(false) }

// due reports whether a remembered request may go upstream now. It costs one atomic
// load when nothing is pending, so the read loop calls it for every packet.
func (k *keyframeLimiter) due() bool {
	if !k.pending.Load() {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.pending.Load() || now.Sub(k.last) < k.interval {
		return false
	}
	k.sent(now)
	return true
}

// seekPointMinRate is the publisher's send rate, audio and video, under which a
// keyframe no one needs is not asked for. Under it the encoder is held to a weak
// link's rate, by its own estimate or by the node's cap, and a keyframe stalls the
// picture for about a second: at 250 kbit/s a 480×270 VP8 keyframe is half a
// second of the link and the frames after it are skipped to pay for it.
const seekPointMinRate = 500_000 // bit/s

// seekPointGate measures a publisher's send rate between two seek point wishes
// (the first: since the track was published).
type seekPointGate struct {
	mu    sync.Mutex
	bytes uint64    // the publisher's bytes at the last wish
	at    time.Time // when
}

// cheap reports whether the publisher, having sent bytes in all by now, sent at
// least seekPointMinRate since the last wish.
func (g *seekPointGate) cheap(bytes uint64, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	prevBytes, prevAt := g.bytes, g.at
	g.bytes, g.at = bytes, now
	if !now.After(prevAt) {
		return false
	}
	rate := float64(bytes-min(prevBytes, bytes)) * 8 / now.Sub(prevAt).Seconds()
	return rate >= seekPointMinRate
}
