package media

import (
	"errors"
	"fmt"
	"slices"
)

// standbyPrefix keeps standby rooms apart from call rooms in SFU.rooms.
const standbyPrefix = "standby:"

// Standby connects a peer ahead of a call: a ready agent between calls, a
// station while it waits in the queue. The peer sits alone in a standby room,
// so what it publishes is forwarded to nobody and offered to no sink until a
// call's room adopts it (Room.Adopt). Closing the peer closes its room.
func (s *SFU) Standby(peerID, party string, sig Signaler) (*Peer, error) {
	if peerID == "" {
		return nil, errors.New("standby: empty peer id")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, fmt.Errorf("standby %s: sfu closed", peerID)
	}
	id := standbyPrefix + peerID
	if _, ok := s.rooms[id]; ok {
		s.mu.Unlock()
		return nil, fmt.Errorf("standby %s: already connected", peerID)
	}
	r := &Room{id: id, sfu: s, log: s.log.With("room", id), done: make(chan struct{}), peers: map[string]*Peer{}, standby: true}
	s.rooms[id] = r
	s.metrics.standbyOpen.Inc()
	s.mu.Unlock()
	p, err := r.Join(peerID, party, sig)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("standby: %w", err)
	}
	return p, nil
}

// Adopt moves a peer connected by SFU.Standby into the call's room on the
// same PeerConnection: from now on it receives the other parties' tracks,
// and its own go to them and to the room's sinks. Each new subscription asks
// for a keyframe as soon as it is negotiated (downTrack.Bind); one asked
// earlier would be forwarded to nobody and hold the next one back for the
// keyframe interval.
func (r *Room) Adopt(p *Peer) error {
	old := p.currentRoom()
	if old == r {
		return nil
	}
	if !old.standby || old.sfu != r.sfu {
		return fmt.Errorf("adopt %s: the peer is not standing by on this server", p.id)
	}
	old.release(p)
	p.roomMu.Lock()
	p.room = r
	p.roomMu.Unlock()
	old.Close()
	if err := r.admit(p); err != nil {
		p.Close()
		return err
	}
	for _, up := range p.publishedTracks() {
		r.publish(up)
	}
	p.log.Info("peer adopted", "room", r.id)
	return nil
}

// release takes an adopted peer and its tracks out of its standby room.
func (r *Room) release(p *Peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.peers, p.id)
	r.tracks = slices.DeleteFunc(r.tracks, func(up *upTrack) bool { return up.info.PeerID == p.id })
}

// admit adds an adopted peer to the room and subscribes it to the tracks
// already published there.
func (r *Room) admit(p *Peer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("adopt %s: room %s is closed", p.id, r.id)
	}
	if _, ok := r.peers[p.id]; ok {
		return fmt.Errorf("adopt %s: already in room %s", p.id, r.id)
	}
	if p.isClosed() {
		return fmt.Errorf("adopt %s: %w", p.id, errPeerClosed)
	}
	r.peers[p.id] = p
	for _, up := range r.tracks {
		if r.forwards(up, p) {
			p.subscribe(up) // releases what a ringing call prepared
		}
	}
	return nil
}
