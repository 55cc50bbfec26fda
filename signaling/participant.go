package signaling

import (
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// role is what a participant is in a call. It decides what they may do
// there (see the handlers) and, with their rights, what media reaches whom.
type role string

const (
	roleResident    role = "resident"    // the station and the resident at it
	roleAgent       role = "agent"       // the agent handling the call
	roleConsulted   role = "consulted"   // an agent brought in for advice (back office)
	roleSupervisor  role = "supervisor"  // watching, whispering or barged in
	roleGuest       role = "guest"       // someone invited by the agent
	roleInterpreter role = "interpreter" // sign language or dialect
)

// rights are what a participant's media may do in the call.
type rights uint8

const (
	sendAudio rights = 1 << iota
	sendVideo
	hearAudio
	seeVideo

	fullRights = sendAudio | sendVideo | hearAudio | seeVideo
	hearOnly   = hearAudio | seeVideo
)

// participant is one person (or station) in a call. Its fields other than
// sess and partyName change only under the call's lock.
type participant struct {
	// sess is the participant's one sink to their client: the local socket,
	// or a relay to the node they are signed in to (session.remote).
	sess *session
	role role
	// party labels the participant's media streams ("station", "agent",
	// "consult", "supervisor"; "monitor" for a pure watcher).
	party   string
	rights  rights
	whisper role // when set, their media reaches only participants of this role
	held    bool // on hold: nothing reaches them, nothing of theirs reaches others
	peer    callPeer
	peerID  string // the peer being joined or joined; routing knows it before the room does
	standby bool   // peer is the participant's standing connection, adopted at accept
	// sink is sess for the media's signaler, which runs without the call's
	// lock: a participant whose session resumed on another node is rebound
	// (call.rebind) while its media may still be signalling.
	sink atomic.Pointer[session]
}

// partyOf is the label a participant's media gets with the given rights: a
// watcher who may not send is a monitor, whose tracks the room never
// forwards or records.
func partyOf(r role, rt rights) string {
	switch {
	case r == roleResident:
		return string(partyStation)
	case r == roleAgent:
		return string(partyAgent)
	case rt&(sendAudio|sendVideo) == 0:
		return media.PartyMonitor
	case r == roleConsulted:
		return "consult"
	default:
		return string(r)
	}
}

// routeView is what routing needs to know of a participant, copied so the
// room can ask without the call's lock.
type routeView struct {
	role    role
	rights  rights
	whisper role
	held    bool
}

func (p *participant) view() routeView {
	return routeView{role: p.role, rights: p.rights, whisper: p.whisper, held: p.held}
}

// reaches tells whether a track of kind from `from` may reach `to`.
func (from routeView) reaches(to routeView, kind webrtc.RTPCodecType) bool {
	if (from.held || to.held) && from.role != roleSupervisor && to.role != roleSupervisor {
		return false
	}
	if from.whisper != "" && to.role != from.whisper && to.role != roleSupervisor {
		return false
	}
	if kind == webrtc.RTPCodecTypeAudio {
		return from.rights&sendAudio != 0 && to.rights&hearAudio != 0
	}
	return from.rights&sendVideo != 0 && to.rights&seeVideo != 0
}

// routing is the media rule for a snapshot of the participants by peer id.
func routing(byPeer map[string]routeView) media.Routing {
	return func(t media.TrackInfo, to string) bool {
		from, ok := byPeer[t.PeerID]
		dst, ok2 := byPeer[to]
		return ok && ok2 && from.reaches(dst, t.Kind)
	}
}
