package media

import "github.com/pion/webrtc/v4"

// Signaler carries server→client negotiation messages for one peer. It is implemented
// by the signaling layer; calls must not block for long and must not call back into
// the Peer or its Room synchronously (queue them onto the WebSocket instead).
//
// SendCandidate may run before the answer returned by HandleOffer has reached the
// client; clients queue such candidates until they have a remote description.
type Signaler interface {
	SendOffer(sdp string)                         // server-initiated (re)negotiation
	SendCandidate(c webrtc.ICECandidateInit)      // trickle ICE towards the client
	ConnectionState(s webrtc.PeerConnectionState) // for UI "reconnecting…" and cleanup decisions
}

// Source labels a published track: "audio", "camera", "document".
type Source string

// The sources a party can publish.
const (
	SourceAudio    Source = "audio"
	SourceCamera   Source = "camera"
	SourceDocument Source = "document"
)

// PartyMonitor is the party name of a supervisor who watches a call. A monitor is a
// pure subscriber: whatever it publishes is never forwarded or recorded.
const PartyMonitor = "monitor"

// streamID is the MediaStream id a subscriber sees for a track: audio and camera share
// one stream so that browsers lip-sync them, the document camera gets its own.
func streamID(party string, src Source) string {
	if src == SourceDocument {
		return party + "-document"
	}
	return party + "-main"
}

// LinkNotifier may be implemented by a Signaler to hear what downlink adaptation
// does about its peer. Calls come from the room's adaptation loop and must not
// block or call back into the Peer or Room.
type LinkNotifier interface {
	// VideoPaused says video to this peer stopped (its downlink cannot carry
	// it; audio goes on) or came back.
	VideoPaused(paused bool)
	// BitrateLimit is the most this peer, as a publisher, should send, for
	// clients that cap their encoders.
	BitrateLimit(l SendLimit)
}

// SendLimit is what a publisher should send, in bit/s: Video for its camera
// and document camera, Voice for its microphone (0: its own rate).
type SendLimit struct {
	Video, Voice int
}
