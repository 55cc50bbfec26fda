package client

import (
	"encoding/binary"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Synthetic media: payloads that carry their own sequence number, so a
// receiver can tell exactly which packet arrived and that it arrived intact.

// VP8Payload returns a one-packet VP8 frame numbered n. Every keyEvery-th
// frame is a keyframe (a valid key frame header, 320×240), so recorders and
// browsers can start on it.
func VP8Payload(n uint32, keyEvery uint32) []byte {
	p := make([]byte, 0, 64)
	p = append(p, 0x10) // payload descriptor: start of partition 0
	if keyEvery > 0 && n%keyEvery == 0 {
		// Frame tag (key frame, version 0, show frame, partition size 0),
		// start code, 320×240.
		p = append(p, 0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00)
	} else {
		p = append(p, 0x11, 0x00, 0x00) // inter frame
	}
	p = binary.BigEndian.AppendUint32(p, n)
	for i := 0; i < 32; i++ {
		p = append(p, byte(n)+byte(i))
	}
	return p
}

// OpusPayload returns an Opus packet numbered n (a silent 20 ms frame
// followed by the number and filler).
func OpusPayload(n uint32) []byte {
	p := []byte{0xf8, 0xff, 0xfe}
	p = binary.BigEndian.AppendUint32(p, n)
	for i := 0; i < 16; i++ {
		p = append(p, byte(n)^byte(i))
	}
	return p
}

// PayloadNumber reads back the number a synthetic payload carries.
func PayloadNumber(track string, payload []byte) (uint32, bool) {
	off := 3
	if track != "audio" {
		if len(payload) > 2 && payload[1]&0x01 == 0 {
			off = 11
		} else {
			off = 4
		}
	}
	if len(payload) < off+4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(payload[off:]), true
}

// SendSynthetic writes frame n on every published track: VP8 at 90 kHz and
// Opus at 48 kHz, with timestamps as if frames were 20 ms apart.
func (m *Media) SendSynthetic(n uint32) error {
	for source, tr := range m.Tracks {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, Marker: true, SequenceNumber: uint16(n)}}
		if source == "audio" {
			pkt.PayloadType, pkt.Timestamp, pkt.Payload = 111, n*960, OpusPayload(n)
		} else {
			pkt.PayloadType, pkt.Timestamp, pkt.Payload = 96, n*1800, VP8Payload(n, 25)
		}
		if err := tr.WriteRTP(pkt); err != nil {
			return err
		}
	}
	return nil
}

// Connected reports whether the PeerConnection is connected.
func (m *Media) Connected() bool {
	return m.pc.ConnectionState() == webrtc.PeerConnectionStateConnected
}

// FrameInterval is the pace of SendSynthetic frames.
const FrameInterval = 20 * time.Millisecond
