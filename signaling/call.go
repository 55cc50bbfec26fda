package signaling

import (
	"slices"
	"sync"
	"time"

	"cloudwindow/catalog"
	"cloudwindow/queue"
)

// party is the media label of a call's first two participants, as the
// protocol names them.
type party string

const (
	partyStation party = "station"
	partyAgent   party = "agent"
)

// call is one live call and the one owner of its state: who is in it, in
// what role and with what media rights, their media peers, whether it has
// ended. Every change goes through its methods under mu; what they return is
// a snapshot for the caller to act on after the lock is released (messages,
// the store, the queue), so that no other lock is ever taken under mu
// except the media room's.
type call struct {
	id      string
	req     queue.Request
	item    catalog.Item
	room    callRoom
	started time.Time
	caseID  string
	caseNo  string
	moved   bool // re-established on this node after its first node gave it up or died

	mu         sync.Mutex
	parts      []*participant // in joining order, the resident first
	ended      bool
	unrecorded string               // why the call is not being recorded now; empty when it is
	mediaLost  map[string]time.Time // since when each side's media is down
	events     *eventWriter
	transfer   *time.Timer // while a transfer waits for an agent: brings it back
	transferTo string      // the colleague a pending transfer rings, if named
	consulting bool        // a consultation waits for an agent in the queue
}

// newCall makes the call of an accepted request between a station and
// the agent who accepted it.
func newCall(req queue.Request, item catalog.Item, room callRoom, station, agent *session, unrecorded string) *call {
	return &call{
		id: req.ID, req: req, item: item, room: room, started: time.Now(), unrecorded: unrecorded,
		parts: []*participant{
			{sess: station, role: roleResident, party: string(partyStation), rights: fullRights},
			{sess: agent, role: roleAgent, party: string(partyAgent), rights: fullRights},
		},
	}
}

// find returns sess's participant, nil if sess is not in the call. c.mu held.
func (c *call) find(sess *session) *participant {
	for _, p := range c.parts {
		if p.sess == sess {
			return p
		}
	}
	return nil
}

// byRole returns the first participant in role r. c.mu held.
func (c *call) byRole(r role) *participant {
	for _, p := range c.parts {
		if p.role == r {
			return p
		}
	}
	return nil
}

// roleOf returns sess's role in the call; false if they are not in it.
func (c *call) roleOf(sess *session) (role, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.find(sess); p != nil {
		return p.role, true
	}
	return "", false
}

// resident is the station's session; it stays for the call's whole life.
func (c *call) resident() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parts[0].sess
}

// holdState tells whether the resident is on hold, and whether for a
// transfer under way.
func (c *call) holdState() (held, transferring bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.parts[0].held, c.transfer != nil
}

// handler is the session of the agent handling the call now.
func (c *call) handler() *session {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.byRole(roleAgent); p != nil {
		return p.sess
	}
	return nil
}

// sessions lists the participants' sessions, without the ones in except.
func (c *call) sessions(except ...*session) []*session {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*session, 0, len(c.parts))
	for _, p := range c.parts {
		if !slices.Contains(except, p.sess) {
			out = append(out, p.sess)
		}
	}
	return out
}

// withRole lists the sessions of the participants in role r.
func (c *call) withRole(r role) []*session {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*session
	for _, p := range c.parts {
		if p.role == r {
			out = append(out, p.sess)
		}
	}
	return out
}

// finish marks the call ended and returns who was in it; false if it had
// already ended. The room is closed by the caller, outside the lock.
func (c *call) finish() ([]*session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, false
	}
	c.ended = true
	out := make([]*session, 0, len(c.parts))
	for _, p := range c.parts {
		out = append(out, p.sess)
	}
	return out, true
}

// join adds sess in role r with rights rt. A participant already in the
// call is refused.
func (c *call) join(sess *session, r role, rt rights) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return protoErr(CodeNotFound, "call %s has ended", c.id)
	}
	if c.find(sess) != nil {
		return protoErr(CodeInvalidState, "you are already in call %s", c.id)
	}
	c.parts = append(c.parts, &participant{sess: sess, role: r, party: partyOf(r, rt), rights: rt})
	return nil
}

// leave takes sess out of the call and closes its media; false if it was
// not in it. The resident never leaves a running call: it ends.
func (c *call) leave(sess *session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := slices.IndexFunc(c.parts, func(p *participant) bool { return p.sess == sess })
	if i <= 0 {
		return false
	}
	p := c.parts[i]
	c.parts = slices.Delete(c.parts, i, i+1)
	if p.peer != nil {
		p.peer.Close()
	}
	c.applyRouting()
	return true
}

// applyRouting tells the room who may receive whom now. c.mu held.
func (c *call) applyRouting() {
	if c.ended {
		return
	}
	byPeer := make(map[string]routeView, len(c.parts))
	for _, p := range c.parts {
		if p.peerID != "" {
			byPeer[p.peerID] = p.view()
		}
	}
	c.room.SetRouting(routing(byPeer))
}

func (c *call) unrecordedCode() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unrecorded
}

// setRecording records whether the call is being recorded now; changed
// is false when nothing changed or the call has ended.
func (c *call) setRecording(recording bool, code string) (changed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := c.unrecorded
	c.unrecorded = ""
	if !recording {
		c.unrecorded = code
	}
	return !c.ended && (was == "") != recording
}

// startedFor is the call.started data for sess, as they see the call.
func (c *call) startedFor(sess *session) callStartedData {
	c.mu.Lock()
	defer c.mu.Unlock()
	station, agent := c.parts[0].sess, c.parts[0].sess
	if h := c.byRole(roleAgent); h != nil {
		agent = h.sess
	}
	me := c.find(sess)
	partyName, peer := string(partyStation), peerInfo{Name: agent.ident.DisplayName}
	standby := me != nil && me.standby
	if me != nil && me.role != roleResident {
		partyName = me.party
	}
	if me != nil && (me.role == roleAgent || me.role == roleConsulted) {
		peer = peerInfo{Name: station.ident.DisplayName, Island: station.ident.Island}
	}
	return callStartedData{
		CallID: c.id, Party: partyName, StartedAt: c.started.UTC().Format(time.RFC3339),
		Peer: peer, Station: stationOf(c.req), GreenChannel: c.req.GreenReason, Item: itemJSON(c.item),
		CaseID: c.caseID, CaseNumber: c.caseNo, Moved: c.moved, Standby: standby,
	}
}

func stationOf(r queue.Request) stationInfo {
	return stationInfo{ID: r.StationID, Name: r.StationName, Region: r.Region, Island: r.Island,
		AudioOnly: r.AudioOnly, Link: linkOf(r.LinkRTT)}
}

// rebind makes sess the participant signed in as accountID, whose session
// resumed on another node or came back from one; false if they are not in
// the call.
func (c *call) rebind(accountID string, sess *session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return false
	}
	for _, p := range c.parts {
		if p.sess.ident.AccountID == accountID {
			p.sess = sess
			p.sink.Store(sess)
			return true
		}
	}
	return false
}
