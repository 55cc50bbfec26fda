package signaling

import (
	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// callRoom is what a call needs of its media room; media.Room provides it
// (through mediaRoom), and tests give the call a fake.
type callRoom interface {
	Join(peerID, party string, sig media.Signaler) (callPeer, error)
	SetRouting(media.Routing)
	AddSink(media.SinkFactory)
	Stats() media.RoomStats
	Done() <-chan struct{} // closed when the room closes
	Close()
}

// callPeer is one participant's media connection in the room.
type callPeer interface {
	ID() string
	AnswerOffer(sdp string, sources map[string]media.Source, send func(answer string)) error
	HandleAnswer(sdp string) error
	AddCandidate(c webrtc.ICECandidateInit) error
	ResendOffer()
	// ExpectThinDownlink starts the peer's downlink estimate low, for a
	// station known to be on a thin link.
	ExpectThinDownlink()
	Close()
}

// mediaRoom adapts a media.Room to callRoom.
type mediaRoom struct{ *media.Room }

func (r mediaRoom) Join(peerID, party string, sig media.Signaler) (callPeer, error) {
	p, err := r.Room.Join(peerID, party, sig)
	if err != nil {
		return nil, err
	}
	return p, nil
}
