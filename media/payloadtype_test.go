package media

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// registerFirefoxCodecs numbers Opus and VP8 as Firefox ESR's offers do.
func registerFirefoxCodecs(t *testing.T, m *webrtc.MediaEngine) {
	t.Helper()
	codecs := []struct {
		kind  webrtc.RTPCodecType
		codec webrtc.RTPCodecParameters
	}{
		{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecParameters{PayloadType: 109,
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 120,
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c.codec, c.kind); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForwardedMediaKeepsTheOfferedPayloadTypes: an agent in Firefox numbers
// VP8 120 in its own offer, the station's camera arrives as 96. The server
// offers the station's camera to the agent as 96, so it must send it as 96:
// Firefox drops packets of a payload type that the m-section does not have,
// and the agent sees no picture.
func TestForwardedMediaKeepsTheOfferedPayloadTypes(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-pt")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{firefoxCodecs: true})

	for _, c := range []struct {
		client *testClient
		stream string
		track  string
	}{
		{agent, "station-main", "camera"},
		{agent, "station-main", "audio"},
		{station, "agent-main", "camera"},
		{station, "agent-main", "audio"},
	} {
		rt := c.client.waitPackets(c.stream, c.track, 50)
		offered := offeredPayloadTypes(t, c.client, rt.ssrc)
		rt.payloadPTs.Range(func(k, _ any) bool {
			if pt := k.(webrtc.PayloadType); !offered[pt] {
				t.Errorf("%s received %s/%s as payload type %d, the server offered %v", c.client.party, c.stream, c.track, pt, offered)
			}
			return true
		})
	}
}

// offeredPayloadTypes reads from the server's offer to c the payload types
// of the m-section that carries ssrc. (A browser answers with those; pion
// answers with its own numbers, and takes packets under either.)
func offeredPayloadTypes(t *testing.T, c *testClient, ssrc uint32) map[webrtc.PayloadType]bool {
	t.Helper()
	var mid string
	for _, tr := range c.pc.GetTransceivers() {
		if rcv := tr.Receiver(); rcv != nil && rcv.Track() != nil && uint32(rcv.Track().SSRC()) == ssrc {
			mid = tr.Mid()
		}
	}
	var desc sdp.SessionDescription
	if err := desc.UnmarshalString(c.pc.CurrentRemoteDescription().SDP); err != nil {
		t.Fatal(err)
	}
	out := map[webrtc.PayloadType]bool{}
	for _, m := range desc.MediaDescriptions {
		if v, _ := m.Attribute("mid"); v != mid || mid == "" {
			continue
		}
		for _, f := range m.MediaName.Formats {
			if pt, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
				out[webrtc.PayloadType(pt)] = true
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no m-section receives ssrc %d", c.party, ssrc)
	}
	return out
}
