package media

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// Room is one call: the peers of its parties and the tracks they publish.
type Room struct {
	id   string
	sfu  *SFU
	log  *slog.Logger
	done chan struct{}
	wg   sync.WaitGroup // the adaptation loop
	// standby: the room holds one peer connected ahead of a call, whose
	// tracks go nowhere until a call's room adopts it. It is not a call.
	standby bool

	mu      sync.Mutex
	closed  bool
	peers   map[string]*Peer
	tracks  []*upTrack
	sinks   []SinkFactory
	routing Routing // nil: every party receives every other party
}

// Routing tells whether the subscriber with peer id to receives a track. It
// is asked with the room's lock held and must not call back into the room.
// Whatever it says, nobody receives their own tracks or a monitor's.
type Routing func(track TrackInfo, to string) bool

func newRoom(id string, s *SFU) *Room {
	r := &Room{
		id:    id,
		sfu:   s,
		log:   s.log.With("room", id),
		done:  make(chan struct{}),
		peers: make(map[string]*Peer),
	}
	if s.adapt != nil {
		r.wg.Add(1)
		go r.adaptLoop(*s.adapt)
	}
	return r
}

// ID is the room id given to NewRoom.
func (r *Room) ID() string { return r.id }

// Join creates the peer's PeerConnection and subscribes it to the tracks already
// published by other parties. party is "station", "agent", "monitor"…
func (r *Room) Join(peerID, party string, sig Signaler) (*Peer, error) {
	if peerID == "" || party == "" || sig == nil {
		return nil, errors.New("join: peer id, party and signaler are required")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("join %s: room %s is closed", peerID, r.id)
	}
	if _, ok := r.peers[peerID]; ok {
		return nil, fmt.Errorf("join %s: already in room %s", peerID, r.id)
	}
	p, err := newPeer(r, peerID, party, sig)
	if err != nil {
		return nil, err
	}
	r.peers[peerID] = p
	for _, up := range r.tracks {
		if r.forwards(up, p) {
			p.subscribe(up)
		}
	}
	p.log.Info("peer joined")
	return p, nil
}

// forwards says whether sub receives up: only tracks of other parties, nothing
// from a monitor, whose microphone must never reach the resident, and what the
// room's routing allows. Called with r.mu held.
func (r *Room) forwards(up *upTrack, sub *Peer) bool {
	if up.info.Party == sub.party || up.info.Party == PartyMonitor {
		return false
	}
	return r.routing == nil || r.routing(up.info, sub.id)
}

// SetRouting changes who receives what: subscribers the new routing allows
// are given the tracks they lack, and tracks it denies are taken away (each
// change renegotiates the subscriber). A denied track's packets stop at once.
func (r *Room) SetRouting(fn Routing) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.routing = fn
	var drops []*downTrack
	for _, up := range r.tracks {
		for _, p := range r.peers {
			d := up.downFor(p)
			switch want := r.forwards(up, p); {
			case want && d == nil:
				p.subscribe(up)
			case !want && d != nil:
				up.removeDowns(func(x *downTrack) bool { return x == d })
				drops = append(drops, d)
			}
		}
	}
	r.mu.Unlock()
	for _, d := range drops {
		d.peer.unsubscribe(d)
	}
}

// Leave closes the peer with that id, if it is in the room.
func (r *Room) Leave(peerID string) {
	r.mu.Lock()
	p := r.peers[peerID]
	r.mu.Unlock()
	if p != nil {
		p.Close()
	}
}

// Close ends the call: every peer, goroutine and sink of the room. It is idempotent.
func (r *Room) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	peers := make([]*Peer, 0, len(r.peers))
	for _, p := range r.peers {
		peers = append(peers, p)
	}
	r.mu.Unlock()
	for _, p := range peers {
		p.Close()
	}
	r.sfu.forget(r)
	close(r.done)
	r.wg.Wait()
	r.log.Info("room closed")
}

// Done is closed when the room is closed.
func (r *Room) Done() <-chan struct{} { return r.done }

// AddSink registers a sink factory for every track published from now on and for
// the tracks already published. Monitors' tracks are never offered to sinks.
func (r *Room) AddSink(f SinkFactory) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.sinks = append(r.sinks, f)
	tracks := slices.Clone(r.tracks)
	r.mu.Unlock()
	for _, up := range tracks {
		if up.info.Party != PartyMonitor {
			up.attachSink(f)
		}
	}
}

// Stats returns the forwarding counters of the peers in the room.
func (r *Room) Stats() RoomStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := RoomStats{ID: r.id, Peers: make(map[string]PeerStats, len(r.peers))}
	for id, p := range r.peers {
		st.Peers[id] = p.counters.snapshot(p.party)
	}
	return st
}

// publish subscribes the other parties to a new track and offers it to the sinks.
func (r *Room) publish(up *upTrack) {
	r.mu.Lock()
	if r.closed || slices.Contains(r.tracks, up) || up.isEnded() {
		r.mu.Unlock()
		return
	}
	r.tracks = append(r.tracks, up)
	for _, p := range r.peers {
		if r.forwards(up, p) {
			p.subscribe(up)
		}
	}
	if r.standby {
		if pub := r.peers[up.info.PeerID]; pub != nil {
			for _, q := range pub.preparedPeers() {
				q.prepare(up)
			}
		}
	}
	var factories []SinkFactory
	if up.info.Party != PartyMonitor {
		factories = slices.Clone(r.sinks)
	}
	r.mu.Unlock()
	for _, f := range factories {
		up.attachSink(f)
	}
}

// unpublish removes an ended track from its subscribers.
func (r *Room) unpublish(up *upTrack, downs []*downTrack) {
	r.mu.Lock()
	r.tracks = slices.DeleteFunc(r.tracks, func(x *upTrack) bool { return x == up })
	closed := r.closed
	r.mu.Unlock()
	if closed && !r.standby {
		return // the subscribers are closing too; renegotiating them is pointless
	}
	for _, d := range downs {
		d.peer.unsubscribe(d)
	}
}

// detach removes a closing peer from the room and from every track it receives.
func (r *Room) detach(p *Peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.peers[p.id] == p {
		delete(r.peers, p.id)
	}
	for _, up := range r.tracks {
		up.removeDowns(func(d *downTrack) bool { return d.peer == p })
	}
}
