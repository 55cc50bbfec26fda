package signaling

import (
	"context"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/media"
	"cloudwindow/queue"
)

// party is a side of a call.
type party string

const (
	partyStation party = "station"
	partyAgent   party = "agent"
	partyMonitor party = media.PartyMonitor
)

// call is one running call: the two sessions, their media room and peers.
type call struct {
	id      string
	req     queue.Request
	item    catalog.Item
	station *session
	agent   *session
	room    *media.Room
	started time.Time
	caseID  string
	caseNo  string

	mu         sync.Mutex
	peers      map[party]*media.Peer
	monitors   map[*session]*media.Peer // supervisors watching
	ended      bool
	unrecorded string // why the call is not being recorded now; empty when it is
	mediaLost  map[party]time.Time
	events     *eventWriter
}

func (c *call) partyOf(sess *session) party {
	if sess == c.station {
		return partyStation
	}
	return partyAgent
}

func (c *call) session(p party) *session {
	if p == partyStation {
		return c.station
	}
	return c.agent
}

// other is the session on the far side from p.
func (c *call) other(p party) *session {
	if p == partyStation {
		return c.agent
	}
	return c.station
}

func (c *call) startedData(p party) callStartedData {
	peer := peerInfo{Name: c.agent.ident.DisplayName}
	if p == partyAgent {
		peer = peerInfo{Name: c.station.ident.DisplayName, Island: c.station.ident.Island}
	}
	return callStartedData{
		CallID: c.id, Party: string(p), StartedAt: c.started.UTC().Format(time.RFC3339),
		Peer: peer, Station: stationOf(c.req), GreenChannel: c.req.GreenReason, Item: itemJSON(c.item),
		CaseID: c.caseID, CaseNumber: c.caseNo,
	}
}

func stationOf(r queue.Request) stationInfo {
	return stationInfo{ID: r.StationID, Name: r.StationName, Region: r.Region, Island: r.Island,
		AudioOnly: r.AudioOnly, Link: linkOf(r.LinkRTT)}
}

// startCall sets up the room of an accepted request and tells both parties.
func (s *Server) startCall(ctx context.Context, agent, station *session, req queue.Request, item catalog.Item) (*call, error) {
	unrecorded, err := s.checkRecording()
	if err != nil {
		return nil, err
	}
	room, err := s.deps.SFU.NewRoom(req.ID)
	if err != nil {
		return nil, err
	}
	c := &call{id: req.ID, req: req, item: item, station: station, agent: agent, room: room,
		started: time.Now(), peers: map[party]*media.Peer{}, monitors: map[*session]*media.Peer{}, unrecorded: unrecorded,
		mediaLost: map[party]time.Time{}, events: s.events}
	rec := calls.Call{
		ID: c.id, StationID: req.StationID, StationName: req.StationName, Island: req.Island,
		AgentID: agent.ident.AccountID, AgentName: agent.ident.DisplayName, ItemID: item.ID,
		ItemName: item.NameZh, Category: item.Category, Green: req.Green,
		RequestedAt: req.EnqueuedAt, AcceptedAt: c.started, Node: s.cfg.Node,
	}
	if err := s.deps.Calls.Create(ctx, rec); err != nil {
		room.Close()
		return nil, err
	}
	cs, err := s.deps.Cases.OpenForCall(ctx, rec)
	if err != nil {
		room.Close()
		// Close the record too, or it would count as a live call.
		if endErr := s.deps.Calls.End(ctx, c.id, time.Now(), "failed"); endErr != nil {
			s.log.Error("record failed call", "call", c.id, "err", endErr)
		}
		return nil, err
	}
	c.caseID, c.caseNo = cs.ID, cs.Number
	if s.deps.Recorder != nil {
		room.AddSink(s.deps.Recorder.SinkFactory(rec))
	}
	s.mu.Lock()
	s.callsByID[c.id] = c
	s.mu.Unlock()
	s.metrics.callsActive.Inc()
	station.setWaitingRequest("")
	s.ticketStarted(req)
	station.setCall(c)
	agent.setCall(c)
	s.events.add(c.id, calls.Event{At: c.started, Type: "accepted", Actor: agent.ident.DisplayName})
	station.push(TypeCallStarted, c.startedData(partyStation))
	s.watchLink(c)
	return c, nil
}

// endCall ends c once, for both parties, whoever asks first.
func (s *Server) endCall(c *call, reason, by string) {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	c.mu.Unlock()

	c.room.Close()
	s.mu.Lock()
	delete(s.callsByID, c.id)
	s.mu.Unlock()
	s.metrics.callsActive.Dec()
	s.metrics.callsEnded.WithLabelValues(reason).Inc()
	for _, sess := range []*session{c.station, c.agent} {
		sess.mu.Lock()
		if sess.call == c {
			sess.call = nil
		}
		sess.mu.Unlock()
	}
	c.agent.mu.Lock()
	c.agent.lastCallID = c.id
	c.agent.mu.Unlock()

	now := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.deps.Calls.End(ctx, c.id, now, reason); err != nil {
		s.log.Error("record call end", "call", c.id, "err", err)
	}
	s.events.add(c.id, calls.Event{At: now, Type: "hangup", Actor: by, Detail: reason})
	ended := callEndedData{CallID: c.id, Reason: reason, By: by, DurationS: seconds(now.Sub(c.started))}
	c.station.push(TypeCallEnded, ended)
	c.agent.push(TypeCallEnded, ended)
	for _, w := range c.watchers() {
		w.push(TypeCallEnded, ended)
	}
	if err := s.queue.CallEnded(ctx, c.agent.ident.AccountID, now.Sub(c.started)); err != nil {
		s.log.Warn("queue call ended", "call", c.id, "err", err)
	}
}

func (s *Server) handleHangup(_ context.Context, sess *session, m Message) error {
	var d callRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	sess.reply(m.ID, TypeOK, empty{})
	s.endCall(c, "hangup", string(c.partyOf(sess)))
	return nil
}

func (s *Server) handleChat(_ context.Context, sess *session, m Message) error {
	var d chatSendData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	now := time.Now()
	from := c.partyOf(sess)
	msg := chatMessageData{CallID: c.id, From: string(from), Name: sess.ident.DisplayName, Text: d.Text, At: now.UTC().Format(time.RFC3339)}
	sess.reply(m.ID, TypeOK, empty{})
	c.station.push(TypeChatMessage, msg)
	c.agent.push(TypeChatMessage, msg)
	s.events.add(c.id, calls.Event{At: now, Type: "chat", Actor: string(from), Detail: d.Text})
	return nil
}

// peerSignaler carries one party's negotiation from the SFU to its client,
// and tells the other party when this one's media connection wavers.
type peerSignaler struct {
	call  *call
	party party
}

func (p peerSignaler) self() *session { return p.call.session(p.party) }

func (p peerSignaler) SendOffer(sdp string) {
	p.self().push(TypeRTCOffer, rtcAnswerData{CallID: p.call.id, SDP: sdp})
}

func (p peerSignaler) SendCandidate(ci webrtc.ICECandidateInit) {
	p.self().push(TypeRTCCandidate, rtcCandidateData{CallID: p.call.id, Candidate: ci.Candidate, SDPMid: ci.SDPMid, SDPMLineIndex: ci.SDPMLineIndex})
}

func (p peerSignaler) ConnectionState(st webrtc.PeerConnectionState) {
	p.call.noteMediaState(p.party, st, time.Now())
	var state string
	switch st {
	case webrtc.PeerConnectionStateConnected:
		state = "connected"
	case webrtc.PeerConnectionStateDisconnected:
		state = "reconnecting"
	case webrtc.PeerConnectionStateFailed:
		state = "disconnected"
	default:
		return
	}
	p.call.other(p.party).push(TypePeerState, peerStateData{CallID: p.call.id, Party: string(p.party), State: state})
}
