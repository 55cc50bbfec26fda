package media

import (
	"sync"
	"time"
)

// resendBurst is how much of the estimate a subscriber's resend budget may save
// up: resends can fill a lull in the forwarded stream, never a long one. A
// second, because a burst of loss on a weak link asks for several packets at
// once, and each one not resent costs the subscriber a keyframe, many times
// its size. On island-weak, 250 ms held back three times as many resends, and
// the video froze twice as long (BENCHMARKS.md, "The resend budget's burst").
const resendBurst = time.Second

// sendBudget is a token bucket over everything sent to one subscriber: forwarded
// packets drain it (counted by the forwarding path, which never waits on it) and
// a resend is only made while it holds the resend's bytes. It refills at the
// subscriber's downlink estimate, so a lossy link is never answered with more
// than it can carry. Resenders of all the subscriber's tracks share it.
type sendBudget struct {
	mu      sync.Mutex
	last    time.Time
	allowed float64 // bytes the subscriber may have been sent, cumulative
	resent  uint64  // bytes resent, cumulative
}

// take reports whether a resend of size bytes fits the budget at now, given
// the bytes forwarded so far and the estimate in bit/s, and counts it if so.
// No estimate (adaptation off, or none yet) means no budget.
func (b *sendBudget) take(now time.Time, forwarded uint64, estimate int64, size int) bool {
	if estimate <= 0 {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	rate := float64(estimate) / 8 // bytes per second
	sent := float64(forwarded + b.resent)
	burst := rate * resendBurst.Seconds()
	if b.last.IsZero() {
		b.allowed = sent + burst
	} else if dt := now.Sub(b.last); dt > 0 {
		b.allowed += rate * dt.Seconds()
	}
	b.last = now
	b.allowed = min(b.allowed, sent+burst)
	if sent+float64(size) > b.allowed {
		return false
	}
	b.resent += uint64(size)
	return true
}

// spend counts a resend of size bytes made whatever the budget holds, so
// that the resends after it wait for the estimate to make up for it.
func (b *sendBudget) spend(size int) {
	b.mu.Lock()
	b.resent += uint64(size)
	b.mu.Unlock()
}
