package media

import (
	"fmt"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// discardWriter stands in for a subscriber's SRTP write stream.
type discardWriter struct{ n int }

func (w *discardWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.n += len(payload)
	return len(payload), nil
}

func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }

type discardSink struct{ n int }

func (s *discardSink) WriteRTP(p *rtp.Packet)               { s.n += len(p.Payload) }
func (s *discardSink) WriteSenderReport(*rtcp.SenderReport) {}
func (s *discardSink) Close()                               {}

// BenchmarkForward measures the path from a packet read from the publisher to the
// packet written to every subscriber's track (and a recorder sink): parse, cache,
// per-subscriber SSRC/payload type rewrite, write, counters.
func BenchmarkForward(b *testing.B) {
	for _, subs := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("subscribers=%d", subs), func(b *testing.B) {
			up, raw := benchTrack(b, subs)
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for i := range b.N {
				seq := uint16(i)
				raw[2], raw[3] = byte(seq>>8), byte(seq)
				up.forward(raw)
			}
		})
	}
}

func benchTrack(b testing.TB, subs int) (*upTrack, []byte) {
	b.Helper()
	m, err := newMetrics(nil)
	if err != nil {
		b.Fatal(err)
	}
	info := TrackInfo{
		PeerID: "station-1", Party: "station", Source: SourceCamera, Kind: webrtc.RTPCodecTypeVideo,
		Codec: webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96},
		SSRC:  1234,
	}
	up := newUpTrack(info, &peerCounters{}, m, func([]rtcp.Packet) error { return nil })
	for i := range subs {
		sub := &Peer{id: fmt.Sprintf("sub-%d", i), party: "agent", metrics: m}
		d := newDownTrack(up, sub)
		d.binding.Store(&trackBinding{ssrc: uint32(5000 + i), payloadType: 100, writer: &discardWriter{}})
		up.addDown(d)
	}
	up.attachSink(func(TrackInfo, KeyframeRequester) Sink { return &discardSink{} })
	pkt := rtp.Packet{
		Header: rtp.Header{
			Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 90000, SSRC: 1234, Marker: true,
		},
		Payload: make([]byte, 1100),
	}
	// A transport-cc extension, as browsers send, so that stripping it is measured.
	if err := pkt.Header.SetExtension(3, []byte{0x01, 0x02}); err != nil {
		b.Fatal(err)
	}
	raw, err := pkt.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return up, raw
}
