package linkemu

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Verdict is what the shaper decided for one packet.
type Verdict int

// The verdicts.
const (
	Deliver Verdict = iota
	DropQueue
	DropLoss
	DropOutage
)

// Stats counts what one direction did.
type Stats struct {
	Packets, Delivered                       uint64
	DroppedQueue, DroppedLoss, DroppedOutage uint64
	BytesDelivered                           uint64
}

// shaper is one direction of a link: a bottleneck with a bounded FIFO buffer,
// followed by loss and a delay line. It is driven by the caller's clock, so the
// tests can feed it packets at chosen times and count what happens.
type shaper struct {
	mu        sync.Mutex
	dir       Direction
	start     time.Time
	rnd       *rand.Rand
	busyUntil time.Time // the bottleneck has sent everything queued by then
	lastOut   time.Time // deliveries never reorder
	bad       bool      // Gilbert–Elliott state
	stats     Stats
}

func newShaper(d Direction, start time.Time, seed uint64) *shaper {
	return &shaper{dir: d, start: start, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// reset swaps the direction's settings and restarts its script at now.
func (s *shaper) reset(d Direction, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dir, s.start, s.bad = d, now, false
}

// state is the rate and outage in force at now, after the script's steps.
func (s *shaper) state(now time.Time) (rate int, out bool) {
	rate = s.dir.RateBps
	elapsed := now.Sub(s.start)
	for _, st := range s.dir.Script {
		if elapsed < st.At {
			continue
		}
		if st.RateBps > 0 {
			rate = st.RateBps
		}
		if st.Outage > 0 && elapsed < st.At+st.Outage {
			out = true
		}
	}
	return rate, out
}

// admit decides the fate of a packet of size bytes offered at now and, if it is
// delivered, when it reaches the far end.
func (s *shaper) admit(now time.Time, size int) (time.Time, Verdict) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Packets++
	rate, out := s.state(now)
	if out {
		s.stats.DroppedOutage++
		return time.Time{}, DropOutage
	}
	sent := now
	if rate > 0 {
		if s.busyUntil.Before(now) {
			s.busyUntil = now
		}
		queued := int(s.busyUntil.Sub(now).Seconds() * float64(rate) / 8)
		if queued+size > s.dir.queueBytes(rate) {
			s.stats.DroppedQueue++
			return time.Time{}, DropQueue
		}
		s.busyUntil = s.busyUntil.Add(time.Duration(float64(size*8) / float64(rate) * float64(time.Second)))
		sent = s.busyUntil
	}
	if s.lost() {
		s.stats.DroppedLoss++
		return time.Time{}, DropLoss
	}
	at := sent.Add(s.dir.Delay)
	if s.dir.Jitter > 0 {
		at = at.Add(time.Duration(s.rnd.Int64N(int64(s.dir.Jitter))))
	}
	if at.Before(s.lastOut) {
		at = s.lastOut
	}
	s.lastOut = at
	s.stats.Delivered++
	s.stats.BytesDelivered += uint64(size)
	return at, Deliver
}

// lost draws the random and the bursty loss of one packet.
func (s *shaper) lost() bool {
	if s.dir.Loss > 0 && s.rnd.Float64() < s.dir.Loss {
		return true
	}
	g := s.dir.Burst
	if g == nil {
		return false
	}
	if s.bad {
		s.bad = s.rnd.Float64() >= g.BadToGood
	} else {
		s.bad = s.rnd.Float64() < g.GoodToBad
	}
	p := g.LossGood
	if s.bad {
		p = g.LossBad
	}
	return p > 0 && s.rnd.Float64() < p
}

// outageEnd is when the outage in force at now ends; zero if none.
func (s *shaper) outageEnd(now time.Time) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	elapsed := now.Sub(s.start)
	var end time.Time
	for _, st := range s.dir.Script {
		if st.Outage > 0 && elapsed >= st.At && elapsed < st.At+st.Outage {
			if e := s.start.Add(st.At + st.Outage); e.After(end) {
				end = e
			}
		}
	}
	return end
}

func (s *shaper) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// retransmitWait is how long a stream waits to resend a lost chunk: a minimum
// retransmission timeout plus the round trip.
func (s *shaper) retransmitWait() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return 200*time.Millisecond + 2*s.dir.Delay
}
