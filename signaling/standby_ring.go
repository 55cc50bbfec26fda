package signaling

// While a call rings, the node negotiates the agent's and the station's
// standing connections to each other with nothing forwarded (media.SFU.Prepare),
// so that the accept only has to release the tracks: no renegotiation then.

// ringStanding notes that agent's offer rings for stationID and prepares
// their standing connections if both have one.
func (s *Server) ringStanding(agent *session, stationID string) {
	if !s.cfg.PreconnectMedia {
		return
	}
	agent.mu.Lock()
	agent.ringing = stationID
	agent.mu.Unlock()
	s.prepareRing(agent)
}

// prepareRing prepares agent's ringing call, if it rings and both ends
// have a standing connection.
func (s *Server) prepareRing(agent *session) {
	agent.mu.Lock()
	stationID := agent.ringing
	agent.mu.Unlock()
	if stationID == "" {
		return
	}
	a, station := agent.standingPeer(), s.session(stationID)
	if a == nil || station == nil {
		return
	}
	if st := station.standingPeer(); st != nil {
		s.deps.SFU.Prepare(a.peer, st.peer)
	}
}

// armStanding asks, as agent accepts stationID's call, for the keyframes the
// held video of their prepared connections will start with (media.SFU.Arm).
func (s *Server) armStanding(agent *session, stationID string) {
	a, station := agent.standingPeer(), s.session(stationID)
	if a == nil || station == nil {
		return
	}
	if st := station.standingPeer(); st != nil {
		s.deps.SFU.Arm(a.peer, st.peer)
	}
}

// stopRinging undoes ringStanding when the offer is withdrawn or rejected;
// a call that came about has adopted the connections instead.
func (s *Server) stopRinging(agent *session) {
	agent.mu.Lock()
	stationID := agent.ringing
	agent.ringing = ""
	agent.mu.Unlock()
	if stationID == "" {
		return
	}
	a, station := agent.standingPeer(), s.session(stationID)
	if a == nil || station == nil {
		return
	}
	if st := station.standingPeer(); st != nil && st.sig.adopted.Load() == nil {
		s.deps.SFU.Unprepare(a.peer, st.peer)
	}
}

// ringingFor prepares the offers that ring for a station that just made its
// standing connection.
func (s *Server) ringingFor(station *session) {
	s.mu.Lock()
	all := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	for _, a := range all {
		a.mu.Lock()
		rings := a.ringing == station.ident.AccountID
		a.mu.Unlock()
		if rings {
			s.prepareRing(a)
		}
	}
}
