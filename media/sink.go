package media

import (
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// TrackInfo describes one published track.
type TrackInfo struct {
	PeerID, Party string
	Source        Source
	Kind          webrtc.RTPCodecType
	Codec         webrtc.RTPCodecParameters // MimeType, ClockRate, Channels, ...
	SSRC          uint32
}

// Sink consumes one published track inside the node, without a PeerConnection.
// All calls on one Sink come from the track's read loop, one at a time: WriteRTP must
// not block or retain the packet after returning (copy what it keeps). A sender
// report is delivered just before the next RTP packet that follows it.
type Sink interface {
	WriteRTP(p *rtp.Packet)
	WriteSenderReport(sr *rtcp.SenderReport)
	Close() // the track ended or the room closed
}

// SinkFactory is asked for a Sink whenever a track is published in a room; nil means
// "not interested". keyframes asks the track's publisher for keyframes on the sink's
// behalf.
type SinkFactory func(info TrackInfo, keyframes KeyframeRequester) Sink

// KeyframeRequester asks a published track's publisher for a keyframe; requests are
// coalesced with everyone else's.
type KeyframeRequester interface {
	// RequestKeyframe asks for a keyframe the sink needs to go on: to start, or
	// after a loss.
	RequestKeyframe()
	// RequestSeekPoint asks for one the sink merely wants, such as a seek point in
	// a file. It is not sent for a publisher that sends little: its encoder pays
	// for a keyframe, several times a frame's size, by skipping the frames after
	// it, and everyone watching sees the picture stall.
	RequestSeekPoint()
}
