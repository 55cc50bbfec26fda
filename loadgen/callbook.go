package loadgen

import (
	"sync"
	"time"
)

// callRecord is one call as both of its sides saw it. The call id is the
// request id, so the station and the agent find the same record whichever
// learns the id first.
type callRecord struct {
	id       string
	needBoth bool          // both sides receive media (not one-way)
	media    chan struct{} // closed when every receiving side has media

	mu           sync.Mutex
	requested    time.Time    // station sent call.request
	offered      time.Time    // agent got call.offer
	acceptSent   time.Time    // agent sent call.accept
	started      time.Time    // station got call.started
	negotiated   [2]time.Time // by side (station, agent): the node answered its offer
	connected    [2]time.Time // by side: ICE and DTLS done
	standing     [2]bool      // by side: a standing connection carried the call
	stationMedia time.Time    // first packet at the station
	agentMedia   time.Time    // first packet at the agent
	ended        bool
	cut          bool // the run ended while it was being set up
	failure      string
}

func (c *callRecord) set(field *time.Time, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if field.IsZero() {
		*field = at
	}
}

// carriedByStanding marks party's side as carried by its standing connection.
func (c *callRecord) carriedByStanding(party string) {
	c.mu.Lock()
	c.standing[side(party)] = true
	c.mu.Unlock()
}

// side indexes the per-side times.
func side(party string) int {
	if party == "station" {
		return 0
	}
	return 1
}

// firstMedia marks the first packet at party's side.
func (c *callRecord) firstMedia(party string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if party == "station" {
		c.stationMedia = at
	} else {
		c.agentMedia = at
	}
	if !c.agentMedia.IsZero() && (!c.needBoth || !c.stationMedia.IsZero()) {
		select {
		case <-c.media:
		default:
			close(c.media)
		}
	}
}

// fail records why the call failed; the first reason stays.
func (c *callRecord) fail(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failure == "" {
		c.failure = reason
	}
}

// cutShort records that the run ended before the call was set up.
func (c *callRecord) cutShort() {
	c.mu.Lock()
	c.cut = true
	c.mu.Unlock()
}

// end marks the call over; a call is complete when it ended without failing.
func (c *callRecord) end() {
	c.mu.Lock()
	c.ended = true
	c.mu.Unlock()
}

// callBook holds every call of a run by id.
type callBook struct {
	needBoth bool
	mu       sync.Mutex
	byID     map[string]*callRecord
}

func newCallBook(needBoth bool) *callBook {
	return &callBook{needBoth: needBoth, byID: map[string]*callRecord{}}
}

// get returns the record of id, creating it on first sight.
func (b *callBook) get(id string) *callRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.byID[id]
	if !ok {
		c = &callRecord{id: id, needBoth: b.needBoth, media: make(chan struct{})}
		b.byID[id] = c
	}
	return c
}

// inMedia counts calls that carry media and have not ended.
func (b *callBook) inMedia() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, c := range b.byID {
		select {
		case <-c.media:
			c.mu.Lock()
			if !c.ended {
				n++
			}
			c.mu.Unlock()
		default:
		}
	}
	return n
}

// all returns a snapshot of the records.
func (b *callBook) all() []*callRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*callRecord, 0, len(b.byID))
	for _, c := range b.byID {
		out = append(out, c)
	}
	return out
}
