package media

import "slices"

// Prepare negotiates, while a call between two standing peers rings, each
// one's tracks to the other, held: nothing is forwarded until a call's room
// adopts both, which then only releases them (no renegotiation at accept).
// Tracks either peer publishes later are prepared the same way.
func (s *SFU) Prepare(a, b *Peer) {
	if a == b || !a.pair(b) || !b.pair(a) {
		return
	}
	for _, x := range [][2]*Peer{{a, b}, {b, a}} {
		sub, pub := x[0], x[1]
		for _, up := range pub.publishedTracks() {
			sub.prepare(up)
		}
	}
}

// Unprepare undoes Prepare: the call did not come about (the offer was
// rejected or withdrawn), so the held tracks are removed.
func (s *SFU) Unprepare(a, b *Peer) {
	a.unpair(b)
	b.unpair(a)
	a.dropHeld(b.id)
	b.dropHeld(a.id)
}

// pair records q as prepared with p while both stand by; false otherwise.
func (p *Peer) pair(q *Peer) bool {
	p.roomMu.Lock()
	defer p.roomMu.Unlock()
	if !p.room.standby {
		return false
	}
	if !slices.Contains(p.prepared, q) {
		p.prepared = append(p.prepared, q)
	}
	return true
}

func (p *Peer) unpair(q *Peer) {
	p.roomMu.Lock()
	defer p.roomMu.Unlock()
	p.prepared = slices.DeleteFunc(p.prepared, func(x *Peer) bool { return x == q })
}

// preparedPeers are the peers that receive this one's new tracks held.
func (p *Peer) preparedPeers() []*Peer {
	p.roomMu.Lock()
	defer p.roomMu.Unlock()
	if !p.room.standby {
		return nil
	}
	return slices.Clone(p.prepared)
}

func (p *Peer) publishedTracks() []*upTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.published)
}

// prepare subscribes p, held, to a track it does not receive yet.
func (p *Peer) prepare(up *upTrack) { p.subscribeHeld(up, true) }

// dropHeld removes the held downTracks of the tracks of publisher pubID.
func (p *Peer) dropHeld(pubID string) {
	for _, d := range p.heldFrom(pubID) {
		d.up.removeDowns(func(x *downTrack) bool { return x == d })
		p.unsubscribe(d)
	}
}

// forgetHeld removes a closing peer's downTracks from tracks outside its room
// (held ones of a prepared call).
func (p *Peer) forgetHeld() {
	p.mu.Lock()
	downs := slices.Clone(p.downs)
	p.mu.Unlock()
	for _, d := range downs {
		d.up.removeDowns(func(x *downTrack) bool { return x == d })
	}
}
