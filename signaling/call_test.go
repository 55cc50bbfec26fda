package signaling

import (
	"slices"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/media"
	"cloudwindow/queue"
)

// fakeRoom stands for a media room: it keeps the peers joined and the
// latest routing, so a test can ask who would receive whom.
type fakeRoom struct {
	mu      sync.Mutex
	peers   map[string]*fakePeer
	routing media.Routing
	closed  bool
}

func (r *fakeRoom) Join(peerID, party string, _ media.Signaler) (callPeer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := &fakePeer{id: peerID, party: party}
	r.peers[peerID] = p
	return p, nil
}

func (r *fakeRoom) SetRouting(fn media.Routing) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routing = fn
}

func (r *fakeRoom) AddSink(media.SinkFactory) {}
func (r *fakeRoom) Stats() media.RoomStats    { return media.RoomStats{} }
func (r *fakeRoom) Done() <-chan struct{}     { return nil }
func (r *fakeRoom) Close()                    { r.mu.Lock(); r.closed = true; r.mu.Unlock() }

// hears tells whether to's peer would receive a track of kind from from's
// peer, as the media room would decide.
func (r *fakeRoom) hears(t *testing.T, c *call, from, to *session, kind webrtc.RTPCodecType) bool {
	t.Helper()
	fp, tp := c.peerOf(from), c.peerOf(to)
	if fp == nil || tp == nil {
		t.Fatalf("%s or %s has no peer", from.ident.Username, to.ident.Username)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	party := fp.(*fakePeer).party
	if party == tp.(*fakePeer).party || party == media.PartyMonitor {
		return false
	}
	return r.routing(media.TrackInfo{PeerID: fp.ID(), Party: party, Kind: kind}, tp.ID())
}

type fakePeer struct {
	id, party string
	mu        sync.Mutex
	closed    bool
}

func (p *fakePeer) ID() string { return p.id }
func (p *fakePeer) AnswerOffer(string, map[string]media.Source, func(string)) error {
	return nil
}
func (p *fakePeer) HandleAnswer(string) error                  { return nil }
func (p *fakePeer) AddCandidate(webrtc.ICECandidateInit) error { return nil }
func (p *fakePeer) ResendOffer()                               {}
func (p *fakePeer) ExpectThinDownlink()                        {}
func (p *fakePeer) Close()                                     { p.mu.Lock(); p.closed = true; p.mu.Unlock() }
func (p *fakePeer) isClosed() bool                             { p.mu.Lock(); defer p.mu.Unlock(); return p.closed }

// fakeSession is a session whose messages are kept instead of sent.
type fakeSession struct {
	*session
	mu   sync.Mutex
	msgs []Message
}

func newFakeSession(name string, r identity.Role) *fakeSession {
	f := &fakeSession{}
	f.session = &session{ident: identity.Identity{AccountID: name, Username: name, DisplayName: name, Role: r}}
	f.session.remote = func(m Message) { f.mu.Lock(); f.msgs = append(f.msgs, m); f.mu.Unlock() }
	return f
}

func (f *fakeSession) got(typ string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, m := range f.msgs {
		if m.Type == typ {
			n++
		}
	}
	return n
}

// newTestCall is a call between a station and an agent who both have
// their media peer.
func newTestCall(t *testing.T) (*call, *fakeRoom, *fakeSession, *fakeSession) {
	t.Helper()
	room := &fakeRoom{peers: map[string]*fakePeer{}}
	station, agent := newFakeSession("station1", identity.RoleStation), newFakeSession("agent1", identity.RoleAgent)
	c := newCall(queue.Request{ID: "call-1", StationID: "station1"}, catalog.Item{ID: "item"}, room, station.session, agent.session, "")
	for _, s := range []*session{station.session, agent.session} {
		if _, err := c.freshPeer(s); err != nil {
			t.Fatal(err)
		}
	}
	return c, room, station, agent
}

const (
	audio = webrtc.RTPCodecTypeAudio
	video = webrtc.RTPCodecTypeVideo
)

func TestAWatcherSeesEveryoneAndIsSeenByNobody(t *testing.T) {
	c, room, station, agent := newTestCall(t)
	sup := newFakeSession("sup1", identity.RoleSupervisor)
	started, err := c.watch(sup.session)
	if err != nil {
		t.Fatal(err)
	}
	if started.Party != media.PartyMonitor {
		t.Errorf("a watcher's party is %q, want monitor", started.Party)
	}
	for _, from := range []*session{station.session, agent.session} {
		for _, kind := range []webrtc.RTPCodecType{audio, video} {
			if !room.hears(t, c, from, sup.session, kind) {
				t.Errorf("the watcher does not receive %s's %s", from.ident.Username, kind)
			}
			if room.hears(t, c, sup.session, from, kind) {
				t.Errorf("%s receives the watcher's %s", from.ident.Username, kind)
			}
		}
	}
	if _, err := c.watch(sup.session); err == nil {
		t.Error("a second watch of the same supervisor was accepted")
	}
	peer := c.peerOf(sup.session).(*fakePeer)
	if !c.leave(sup.session) || !peer.isClosed() {
		t.Error("leaving did not close the watcher's peer")
	}
	if _, ok := c.roleOf(sup.session); ok {
		t.Error("the watcher is still in the call after leaving")
	}
}

func TestTheResidentCannotLeaveARunningCall(t *testing.T) {
	c, _, station, _ := newTestCall(t)
	if c.leave(station.session) {
		t.Fatal("the resident left the call without ending it")
	}
	members, ok := c.finish()
	if !ok || len(members) != 2 {
		t.Fatalf("finish: %d members, %v", len(members), ok)
	}
	if _, ok := c.finish(); ok {
		t.Error("a call ended twice")
	}
	if _, err := c.freshPeer(station.session); err == nil {
		t.Error("an ended call gave out a new peer")
	}
}

func TestAFreshPeerReplacesTheOldOne(t *testing.T) {
	c, room, station, agent := newTestCall(t)
	old := c.peerOf(agent.session).(*fakePeer)
	if _, err := c.freshPeer(agent.session); err != nil {
		t.Fatal(err)
	}
	if !old.isClosed() {
		t.Error("the old peer is still open")
	}
	if !room.hears(t, c, agent.session, station.session, audio) || !room.hears(t, c, station.session, agent.session, video) {
		t.Error("the station and the agent no longer hear each other after a new peer")
	}
}

func TestSupervisionRoutesTheSupervisorsMedia(t *testing.T) {
	c, room, station, agent := newTestCall(t)
	sup := newFakeSession("sup1", identity.RoleSupervisor)
	if _, err := c.supervise(sup.session, modeWhisper); err == nil {
		t.Fatal("a supervisor who does not watch the call whispered")
	}
	if _, err := c.watch(sup.session); err != nil {
		t.Fatal(err)
	}
	speak := func(mode string) {
		t.Helper()
		if _, err := c.supervise(sup.session, mode); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if _, err := c.freshPeer(sup.session); err != nil { // the client offers its microphone
			t.Fatal(err)
		}
	}
	speak(modeWhisper)
	switch {
	case !room.hears(t, c, sup.session, agent.session, audio):
		t.Error("the agent does not hear the whisper")
	case room.hears(t, c, sup.session, station.session, audio):
		t.Error("the resident hears the whisper")
	case room.hears(t, c, sup.session, agent.session, video):
		t.Error("a whisper carries video")
	case !room.hears(t, c, station.session, sup.session, audio) || !room.hears(t, c, agent.session, sup.session, video):
		t.Error("the whispering supervisor no longer follows the call")
	}
	for _, m := range c.members(station.session) {
		if m.Role == string(roleSupervisor) {
			t.Error("the resident is shown the whispering supervisor")
		}
	}

	speak(modeBarge)
	if !room.hears(t, c, sup.session, station.session, audio) || !room.hears(t, c, sup.session, station.session, video) {
		t.Error("the resident does not hear and see the supervisor who barged in")
	}
	if n := len(c.members(station.session)); n != 3 {
		t.Errorf("the resident is shown %d participants after a barge, want 3", n)
	}

	oldPeer := c.peerOf(agent.session).(*fakePeer)
	left, err := c.supervise(sup.session, modeTakeOver)
	if err != nil || left != agent.session {
		t.Fatalf("take-over: left %v, %v", left, err)
	}
	if !oldPeer.isClosed() {
		t.Error("the agent's media is still open after the take-over")
	}
	if c.handler() != sup.session {
		t.Error("the supervisor does not handle the call after the take-over")
	}
	if !room.hears(t, c, sup.session, station.session, audio) || !room.hears(t, c, station.session, sup.session, video) {
		t.Error("the supervisor and the resident do not talk after the take-over")
	}
}

func TestEachSendingParticipantHasAMediaLabelOfItsOwn(t *testing.T) {
	c, _, _, _ := newTestCall(t)
	var labels []string
	for _, name := range []string{"sup1", "sup2", "sup3"} {
		sup := newFakeSession(name, identity.RoleSupervisor)
		if _, err := c.watch(sup.session); err != nil {
			t.Fatal(err)
		}
		if _, err := c.supervise(sup.session, modeBarge); err != nil {
			t.Fatal(err)
		}
		if _, err := c.freshPeer(sup.session); err != nil {
			t.Fatal(err)
		}
		labels = append(labels, c.peerOf(sup.session).(*fakePeer).party)
	}
	if want := []string{"supervisor", "supervisor-2", "supervisor-3"}; !slices.Equal(labels, want) {
		t.Errorf("barging supervisors are labelled %v, want %v", labels, want)
	}
	watcher := newFakeSession("sup4", identity.RoleSupervisor)
	if started, err := c.watch(watcher.session); err != nil || started.Party != media.PartyMonitor {
		t.Errorf("a watcher beside them: %q, %v; want monitor", started.Party, err)
	}
}
