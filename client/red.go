package client

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// MimeTypeRED is redundant audio (RFC 2198), as the node sends it to a client
// that asks for it with MediaOptions.RED.
const MimeTypeRED = "audio/red"

// redCodec is RED over Opus (payload type 111), as the node registers it.
func redCodec() webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: MimeTypeRED, ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111"},
		PayloadType:        63,
	}
}

// REDBlock is one frame a RED payload carries.
type REDBlock struct {
	PayloadType uint8
	// TimestampOffset is how far before the packet's timestamp the frame
	// belongs; 0 for the primary frame.
	TimestampOffset uint32
	Payload         []byte // shares the RED payload's memory
}

var errShortRED = errors.New("red: headers or blocks run past the payload")

// SplitRED splits a RED payload into its redundant frames, oldest first, and its
// primary frame.
func SplitRED(payload []byte) (redundant []REDBlock, primary REDBlock, err error) {
	off, lengths := 0, []int(nil)
	for {
		if off >= len(payload) {
			return nil, REDBlock{}, errShortRED
		}
		if payload[off]&0x80 == 0 { // the last header: F=0 and the primary's type
			primary.PayloadType = payload[off]
			off++
			break
		}
		if off+4 > len(payload) {
			return nil, REDBlock{}, errShortRED
		}
		h := binary.BigEndian.Uint32(payload[off:])
		redundant = append(redundant, REDBlock{PayloadType: uint8(h>>24) & 0x7f, TimestampOffset: h >> 10 & 0x3fff})
		lengths = append(lengths, int(h&0x3ff))
		off += 4
	}
	for i, n := range lengths {
		if off+n > len(payload) {
			return nil, REDBlock{}, errShortRED
		}
		redundant[i].Payload = payload[off : off+n]
		off += n
	}
	primary.Payload = payload[off:]
	return redundant, primary, nil
}

// isRED reports whether a track receives RED.
func isRED(tr *webrtc.TrackRemote) bool {
	return strings.EqualFold(tr.Codec().MimeType, MimeTypeRED)
}

// splitREDPacket hands the frames of a RED packet on: the earlier frames it
// repeats to OnRedundant (as packets with their own timestamps and the packet's
// sequence number), then the packet itself, rewritten to its primary frame, to
// OnPacket. A malformed packet goes to OnPacket as it is.
func (m *Media) splitREDPacket(stream, track string, p *rtp.Packet) {
	redundant, primary, err := SplitRED(p.Payload)
	if err != nil {
		if m.opts.OnPacket != nil {
			m.opts.OnPacket(stream, track, p)
		}
		return
	}
	if m.opts.OnRedundant != nil {
		for _, b := range redundant {
			h := p.Header
			h.PayloadType, h.Timestamp = b.PayloadType, p.Timestamp-b.TimestampOffset
			m.opts.OnRedundant(stream, track, &rtp.Packet{Header: h, Payload: b.Payload})
		}
	}
	if m.opts.OnPacket != nil {
		p.PayloadType, p.Payload = primary.PayloadType, primary.Payload
		m.opts.OnPacket(stream, track, p)
	}
}
