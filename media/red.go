package media

import (
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

	"github.com/pion/webrtc/v4"
)

// Redundant audio (RED, RFC 2198): a browser that negotiates audio/red sends
// each Opus frame again inside the next packet, so a lost packet is rebuilt
// from the one after it, which matters on lossy island links. Subscribers that
// negotiated RED get the packets as they are; the others, and the recorder,
// get the primary Opus frame alone.

const mimeTypeRED = "audio/red"

// redCodec is RED over Opus (payload type 111) as Chromium offers it.
func redCodec() webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTypeRED, ClockRate: 48000, Channels: 2, SDPFmtpLine: "111/111"},
		PayloadType:        63,
	}
}

func isRED(c webrtc.RTPCodecParameters) bool { return strings.EqualFold(c.MimeType, mimeTypeRED) }

// redPrimary returns the primary (last) block of a RED payload: its payload
// type and its data, which shares payload's memory. ok is false when the
// headers run past the payload.
func redPrimary(payload []byte) (pt uint8, data []byte, ok bool) {
	off, redundant := 0, 0
	for {
		if off >= len(payload) {
			return 0, nil, false
		}
		if payload[off]&0x80 == 0 { // the last header: F=0, then the payload type
			pt = payload[off] & 0x7f
			off++
			break
		}
		if off+4 > len(payload) {
			return 0, nil, false
		}
		// F, block PT (7), timestamp offset (14), block length (10).
		redundant += int(binary.BigEndian.Uint16(payload[off+2:]) & 0x3ff)
		off += 4
	}
	if off+redundant > len(payload) {
		return 0, nil, false
	}
	return pt, payload[off+redundant:], true
}

// primaryCodec finds, among a publisher's negotiated codecs, the one RED's
// format parameters ("111/111") name as its primary.
func primaryCodec(red webrtc.RTPCodecParameters, negotiated []webrtc.RTPCodecParameters) (webrtc.RTPCodecParameters, bool) {
	first, _, _ := strings.Cut(red.SDPFmtpLine, "/")
	pt, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return webrtc.RTPCodecParameters{}, false
	}
	i := slices.IndexFunc(negotiated, func(c webrtc.RTPCodecParameters) bool {
		return int(c.PayloadType) == pt && strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus)
	})
	if i < 0 {
		return webrtc.RTPCodecParameters{}, false
	}
	return negotiated[i], true
}

// answerCodecs orders the codecs of the answer to every m-section the client
// sends on. Audio: RED first, where the client offered RED over a codec it also
// offered: a browser sends RED only when it leads the answer's list, and
// Chromium offers it second, after Opus. Video: no RED or ULPFEC, which would
// make a browser wrap its video in RED; FEC is the node's to add per
// subscriber (ulpfec.go).
func answerCodecs(pc *webrtc.PeerConnection) {
	for _, t := range pc.GetTransceivers() {
		if t.Receiver() == nil || strings.HasPrefix(t.Mid(), "s") {
			continue
		}
		codecs := t.Receiver().GetParameters().Codecs
		if t.Kind() == webrtc.RTPCodecTypeVideo {
			if slices.ContainsFunc(codecs, isVideoFEC) {
				_ = t.SetCodecPreferences(slices.DeleteFunc(codecs, isVideoFEC))
			}
			continue
		}
		i := slices.IndexFunc(codecs, isRED)
		if i <= 0 {
			continue
		}
		if _, ok := primaryCodec(codecs[i], codecs); !ok {
			continue
		}
		red := codecs[i]
		// Best effort: should it fail, the answer keeps the browser's order and
		// the browser sends plain Opus.
		_ = t.SetCodecPreferences(append([]webrtc.RTPCodecParameters{red}, slices.Delete(codecs, i, i+1)...))
	}
}
