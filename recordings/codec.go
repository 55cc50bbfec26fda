package recordings

import (
	"encoding/binary"
	"strings"

	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/rtp/codecs/vp9"
	"github.com/pion/webrtc/v4"
)

// Matroska TrackType values.
const (
	trackTypeVideo = 1
	trackTypeAudio = 2
)

// codecSpec says how one RTP codec is depacketized and stored.
type codecSpec struct {
	name     string // for the index: "VP8", "Opus" …
	codecID  string // Matroska CodecID
	video    bool
	matroska bool // not allowed in WebM: the file becomes .mkv
	// maxLate is how many packets the sample builder waits for a missing
	// one: long enough for a NACKed retransmission, short for audio.
	maxLate         uint16
	newDepacketizer func() rtp.Depacketizer
	inspect         func(frame []byte) frameInfo
	layerOf         func(payload []byte) temporalLayer // nil: no temporal layers
}

// frameInfo is what the muxer learns from a video frame.
type frameInfo struct {
	key           bool
	width, height uint64
	codecPrivate  []byte // H.264: avcC built from the keyframe's SPS/PPS
}

// codecFor returns the spec for an RTP codec, false if it can't be recorded.
func codecFor(mime string) (codecSpec, bool) {
	switch strings.ToLower(mime) {
	case strings.ToLower(webrtc.MimeTypeOpus):
		return codecSpec{name: "Opus", codecID: "A_OPUS", maxLate: 10,
			newDepacketizer: func() rtp.Depacketizer { return &codecs.OpusPacket{} },
			inspect:         func([]byte) frameInfo { return frameInfo{key: true} }}, true
	case strings.ToLower(webrtc.MimeTypeVP8):
		return codecSpec{name: "VP8", codecID: "V_VP8", video: true, maxLate: 256,
			newDepacketizer: func() rtp.Depacketizer { return &codecs.VP8Packet{} },
			inspect:         inspectVP8, layerOf: vp8Layer}, true
	case strings.ToLower(webrtc.MimeTypeVP9):
		return codecSpec{name: "VP9", codecID: "V_VP9", video: true, maxLate: 256,
			newDepacketizer: func() rtp.Depacketizer { return &codecs.VP9Packet{} },
			inspect:         inspectVP9}, true
	case strings.ToLower(webrtc.MimeTypeH264):
		return codecSpec{name: "H.264", codecID: "V_MPEG4/ISO/AVC", video: true, matroska: true, maxLate: 256,
			newDepacketizer: func() rtp.Depacketizer { return &codecs.H264Packet{IsAVC: true} },
			inspect:         inspectH264}, true
	}
	return codecSpec{}, false
}

// inspectVP8 reads the frame tag and, on keyframes, the dimensions (RFC 6386 §9.1).
func inspectVP8(frame []byte) frameInfo {
	if len(frame) < 10 || frame[0]&1 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return frameInfo{}
	}
	return frameInfo{
		key:    true,
		width:  uint64(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff),
		height: uint64(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff),
	}
}

func inspectVP9(frame []byte) frameInfo {
	var h vp9.Header
	if err := h.Unmarshal(frame); err != nil || h.NonKeyFrame || h.ShowExistingFrame {
		return frameInfo{}
	}
	return frameInfo{key: true, width: uint64(h.Width()), height: uint64(h.Height())}
}

// trackEntry describes a track in the file header. key is the first
// keyframe of a video track.
func (c codecSpec) trackEntry(number uint64, params webrtc.RTPCodecParameters, key frameInfo) webm.TrackEntry {
	e := webm.TrackEntry{TrackNumber: number, TrackUID: number, CodecID: c.codecID}
	if c.video {
		e.Name, e.TrackType = "video", trackTypeVideo
		e.CodecPrivate = key.codecPrivate
		e.Video = &webm.Video{PixelWidth: max(key.width, 1), PixelHeight: max(key.height, 1)}
		return e
	}
	channels := uint64(params.Channels)
	if channels == 0 {
		channels = 1
	}
	e.Name, e.TrackType = "audio", trackTypeAudio
	e.CodecPrivate = opusHead(channels)
	e.SeekPreRoll = 80_000_000 // 80 ms, as the WebM guidelines ask for Opus
	e.Audio = &webm.Audio{SamplingFrequency: 48000, Channels: channels}
	return e
}

// opusHead is the Opus identification header (RFC 7845 §5.1) players expect
// as CodecPrivate. WebRTC streams carry no pre-skip, so it is zero.
func opusHead(channels uint64) []byte {
	h := []byte("OpusHead")
	h = append(h, 1, byte(channels), 0, 0)
	h = binary.LittleEndian.AppendUint32(h, 48000)
	return append(h, 0, 0, 0)
}
