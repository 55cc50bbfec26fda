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
