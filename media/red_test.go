package media

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestREDPrimaryIsTheLastBlock(t *testing.T) {
	primary := []byte{0xf8, 0xff, 0xfe}
	older := []byte{0x78, 0x01, 0x02, 0x03, 0x04}
	// One redundant block: F=1, PT 111, timestamp offset 960, length 5.
	redundantHeader := []byte{0x80 | 111, byte(960 >> 6), byte(960<<2&0xfc | len(older)>>8), byte(len(older))}
	for _, tc := range []struct {
		name    string
		payload []byte
		pt      uint8
		want    []byte
		ok      bool
	}{
		{"primary only", append([]byte{111}, primary...), 111, primary, true},
		{"one redundant block", cat(redundantHeader, []byte{111}, older, primary), 111, primary, true},
		{"two redundant blocks", cat(redundantHeader, redundantHeader, []byte{111}, older, older, primary), 111, primary, true},
		{"empty primary (DTX)", cat(redundantHeader, []byte{111}, older), 111, []byte{}, true},
		{"empty payload", nil, 0, nil, false},
		{"header cut short", redundantHeader[:3], 0, nil, false},
		{"no final header", redundantHeader, 0, nil, false},
		{"block longer than the payload", cat(redundantHeader, []byte{111}, older[:4]), 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, got, ok := redPrimary(tc.payload)
			if ok != tc.ok || pt != tc.pt || !bytes.Equal(got, tc.want) {
				t.Errorf("redPrimary = %d %x %v, want %d %x %v", pt, got, ok, tc.pt, tc.want, tc.ok)
			}
		})
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestPrimaryCodecFollowsREDFormatParameters(t *testing.T) {
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}, PayloadType: 109}
	pcmu := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, PayloadType: 0}
	red := func(fmtp string) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mimeTypeRED, ClockRate: 48000, SDPFmtpLine: fmtp}, PayloadType: 63}
	}
	for _, tc := range []struct {
		fmtp string
		ok   bool
	}{{"109/109", true}, {"109/109/109", true}, {"111/111", false}, {"0/0", false}, {"", false}} {
		got, ok := primaryCodec(red(tc.fmtp), []webrtc.RTPCodecParameters{pcmu, opus})
		if ok != tc.ok || ok && got.PayloadType != 109 {
			t.Errorf("primaryCodec(%q) = %v %v, want ok %v", tc.fmtp, got.PayloadType, ok, tc.ok)
		}
	}
}

// TestREDReachesWhoNegotiatedItAndOpusTheOthers: a station sends its audio
// as RED, as Chromium does once RED leads the answer. An agent that offered
// RED gets the RED packets byte for byte; an agent that did not gets the
// station's Opus frames under Opus's payload type, and so does the recorder.
func TestREDReachesWhoNegotiatedItAndOpusTheOthers(t *testing.T) {
	s := newTestSFU(t)
	for _, tc := range []struct {
		name   string
		red    bool
		wantPT webrtc.PayloadType
	}{{"agent with RED", true, 63}, {"agent without RED", false, 111}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRoom(t, s, "call-red-"+strconv.FormatBool(tc.red))
			rec := newSinkRecorder()
			r.AddSink(rec.factory)
			_, agent := startCall(t, r, clientOptions{red: true}, clientOptions{red: tc.red})
			rt := agent.waitPackets("station-main", "audio", 100)
			if m := rt.mismatches.Load(); m != 0 {
				t.Errorf("%d of %d audio packets differ from what the station sent", m, rt.packets.Load())
			}
			rt.payloadPTs.Range(func(k, _ any) bool {
				if pt := k.(webrtc.PayloadType); pt != tc.wantPT {
					t.Errorf("agent received the station's audio as payload type %d, want %d", pt, tc.wantPT)
				}
				return true
			})
			sink := rec.sink("station/audio")
			if sink == nil || !strings.EqualFold(sink.info.Codec.MimeType, webrtc.MimeTypeOpus) {
				t.Fatalf("the recorder was offered the station's audio as %+v, want Opus", sink)
			}
			waitFor(t, "audio at the recorder", func() bool {
				sink.mu.Lock()
				defer sink.mu.Unlock()
				return len(sink.seqs) >= 100
			})
			sink.mu.Lock()
			defer sink.mu.Unlock()
			if sink.mismatches != 0 {
				t.Errorf("%d packets at the recorder are not the station's Opus frames", sink.mismatches)
			}
		})
	}
}
