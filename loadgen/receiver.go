package loadgen

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
)

// flow counts packets across the whole run, so that a measurement window
// can take the difference of two snapshots while calls come and go.
type flow struct {
	received atomic.Uint64
	expected atomic.Uint64 // by sequence number span, as in RFC 3550 receiver reports
}

// trackStats follows one received track: packets, loss from the sequence
// numbers and interarrival jitter (RFC 3550 section 6.4.1). It is updated by
// the track's one reader goroutine and read once the track has ended.
type trackStats struct {
	label       string
	clockRate   float64
	received    uint64
	firstSeq    int64
	maxSeq      int64 // extended over wrap-arounds
	jitter      float64
	lastTransit float64
	started     bool
}

// add accounts for one packet and returns how far the expected count grew.
func (t *trackStats) add(p *rtp.Packet, arrival time.Duration) uint64 {
	t.received++
	transit := arrival.Seconds()*t.clockRate - float64(p.Timestamp)
	if !t.started {
		t.started = true
		t.firstSeq, t.maxSeq = int64(p.SequenceNumber), int64(p.SequenceNumber)
		t.lastTransit = transit
		return 1
	}
	d := transit - t.lastTransit
	t.lastTransit = transit
	if d < 0 {
		d = -d
	}
	t.jitter += (d - t.jitter) / 16
	ext := t.maxSeq + int64(int16(p.SequenceNumber-uint16(t.maxSeq)))
	if ext <= t.maxSeq {
		return 0 // late or duplicate
	}
	grown := ext - t.maxSeq
	t.maxSeq = ext
	return uint64(grown)
}

func (t *trackStats) expected() uint64 { return uint64(t.maxSeq - t.firstSeq + 1) }

// jitterMs converts the jitter from timestamp units.
func (t *trackStats) jitterMs() float64 { return t.jitter / t.clockRate * 1000 }

// receiver is one party's view of the media it receives in a call.
type receiver struct {
	party   string // "station" or "agent"
	epoch   time.Time
	flow    *flow
	onFirst func() // called once, on the first packet of any track

	mu     sync.Mutex
	tracks map[trackKey]*trackStats
	first  bool
}

type trackKey struct{ stream, track string }

func newReceiver(party string, f *flow, onFirst func()) *receiver {
	return &receiver{party: party, epoch: time.Now(), flow: f, onFirst: onFirst, tracks: map[trackKey]*trackStats{}}
}

// onPacket is the client's OnPacket hook; stream is "<sender>-main" or
// "<sender>-document", track the source.
func (r *receiver) onPacket(stream, track string, p *rtp.Packet) {
	arrival := time.Since(r.epoch)
	r.mu.Lock()
	t, ok := r.tracks[trackKey{stream, track}]
	if !ok {
		t = r.newTrack(stream, track)
	}
	first := !r.first
	r.first = true
	r.mu.Unlock()
	if first && r.onFirst != nil {
		r.onFirst()
	}
	grown := t.add(p, arrival)
	r.flow.received.Add(1)
	r.flow.expected.Add(grown)
}

// newTrack registers a track; the caller holds r.mu.
func (r *receiver) newTrack(stream, track string) *trackStats {
	from, _, _ := strings.Cut(stream, "-")
	rate := 90000.0
	if track == "audio" {
		rate = 48000
	}
	t := &trackStats{label: from + "→" + r.party + " " + track, clockRate: rate}
	r.tracks[trackKey{stream, track}] = t
	return t
}

// ended returns the tracks' final figures; call it after the media closed.
func (r *receiver) ended() []*trackStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*trackStats, 0, len(r.tracks))
	for _, t := range r.tracks {
		out = append(out, t)
	}
	return out
}
