package media

import (
	"slices"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// seqWriter keeps the sequence numbers a subscriber was sent, and how many
// packets had no payload.
type seqWriter struct {
	seqs  []uint16
	empty int
}

func (w *seqWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.seqs = append(w.seqs, h.SequenceNumber)
	if len(payload) == 0 {
		w.empty++
	}
	return 0, nil
}

// vp8Delta is the payload of a VP8 packet that starts a delta frame.
var vp8Delta = []byte{0x10, 0x01, 0x00, 0x00}

func (w *seqWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestPausedVideoLeavesNoSequenceGap pauses video to a subscriber in the middle of
// a stream: it must see consecutive sequence numbers across the pause (no packet
// looks lost, nothing is NACKed), and its NACKs must map back to the publisher's
// numbers, except for packets lost before the pause.
func TestPausedVideoLeavesNoSequenceGap(t *testing.T) {
	sub := &Peer{}
	up := &upTrack{info: TrackInfo{Kind: webrtc.RTPCodecTypeVideo}}
	d := newDownTrack(up, sub)
	w := &seqWriter{}
	d.binding.Store(&trackBinding{ssrc: 1, writer: w})
	var out rtpScratch
	send := func(from, to uint16) {
		for seq := from; seq != to; seq++ {
			d.forwardRTP(&rtp.Header{SequenceNumber: seq}, vp8Delta, &out)
		}
	}
	send(65500, 65530)
	sub.videoPaused.Store(true)
	send(65530, 100) // skipped, across the wrap
	sub.videoPaused.Store(false)
	send(100, 120)
	for i := 1; i < len(w.seqs); i++ {
		if w.seqs[i] != w.seqs[i-1]+1 {
			t.Fatalf("sequence jumps from %d to %d across the pause", w.seqs[i-1], w.seqs[i])
		}
	}
	if len(w.seqs) != 50 {
		t.Fatalf("%d packets forwarded, want 30 before and 20 after the pause", len(w.seqs))
	}
	// The first packet after the pause reached the subscriber as 65530.
	if pub, ok := d.publisherSeq(65535); !ok || pub != 105 {
		t.Fatalf("NACK of 65535 mapped to %d (resent %v), want publisher packet 105", pub, ok)
	}
	if pub, ok := d.publisherSeq(65500); ok {
		t.Fatalf("NACK of 65500, lost before the pause, mapped to %d, want it not resent", pub)
	}
}

// TestPaddingIsNotForwarded sends a publisher's stream with runs of its
// padding-only packets, its probes of its own link to the node: the subscriber
// gets none of them, sees no gap where they were, and its NACKs still map back
// to the publisher's packets. Padding out of order goes through as it is.
func TestPaddingIsNotForwarded(t *testing.T) {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		t.Run(kind.String(), func(t *testing.T) {
			m, err := newMetrics(nil)
			if err != nil {
				t.Fatal(err)
			}
			codec := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}
			if kind == webrtc.RTPCodecTypeAudio {
				codec = webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}, PayloadType: 111}
			}
			up := newUpTrack(TrackInfo{Kind: kind, Codec: codec, SSRC: 1234}, &peerCounters{}, m, func([]rtcp.Packet) error { return nil })
			d := newDownTrack(up, &Peer{metrics: m})
			w := &seqWriter{}
			d.binding.Store(&trackBinding{ssrc: 1, payloadType: uint8(codec.PayloadType), writer: w})
			up.addDown(d)
			send := func(seq uint16, payload []byte) {
				pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: uint8(codec.PayloadType), SequenceNumber: seq, SSRC: 1234}, Payload: payload}
				if payload == nil {
					pkt.Header.Padding, pkt.Header.PaddingSize = true, 255
				}
				raw, err := pkt.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				up.forward(raw)
			}
			for seq := uint16(65530); seq != 10; seq++ {
				payload := vp8Delta
				if seq%4 == 0 { // 65532, 0, 4, 8: one in four, across the wrap
					payload = nil
				}
				send(seq, payload)
			}
			if w.empty != 0 || len(w.seqs) != 12 {
				t.Fatalf("%d packets sent, %d of them empty; want the 12 with a payload", len(w.seqs), w.empty)
			}
			for i := 1; i < len(w.seqs); i++ {
				if w.seqs[i] != w.seqs[i-1]+1 {
					t.Fatalf("sequence jumps from %d to %d where padding was dropped", w.seqs[i-1], w.seqs[i])
				}
			}
			if pub, ok := d.publisherSeq(w.seqs[len(w.seqs)-1]); !ok || pub != 9 {
				t.Errorf("NACK of the last packet sent mapped to %d (%v), want publisher packet 9", pub, ok)
			}
			send(12, vp8Delta)
			send(11, nil) // late
			if w.empty != 1 {
				t.Errorf("padding out of order: %d empty packets sent, want it forwarded", w.empty)
			}
			if kind != webrtc.RTPCodecTypeVideo {
				return
			}
			// Padding while video is paused, and before the resume's first packet.
			before := w.seqs[len(w.seqs)-2] // packet 12's: 11 came late
			d.peer.videoPaused.Store(true)
			send(13, vp8Delta)
			send(14, nil)
			d.peer.videoPaused.Store(false)
			send(15, nil)
			send(16, vp8Delta)
			if got := w.seqs[len(w.seqs)-1]; got != before+1 {
				t.Errorf("first packet after the pause sent as %d, want %d", got, before+1)
			}
		})
	}
}

// paddingSink notes what the recorder would be given: each packet's sequence
// number, and whether it was padding.
type paddingSink struct{ padding, media []uint16 }

func (s *paddingSink) WriteRTP(p *rtp.Packet) {
	if len(p.Payload) == 0 {
		s.padding = append(s.padding, p.SequenceNumber)
	} else {
		s.media = append(s.media, p.SequenceNumber)
	}
}
func (s *paddingSink) WriteSenderReport(*rtcp.SenderReport) {}
func (s *paddingSink) Close()                               {}

// A browser without RTX pads with its last frame's timestamp once it has sent
// that frame whole, and never resends padding. Padding lost on a lossy uplink
// is no loss: the subscriber's numbering has no hole for it that would be
// NACKed in vain, and the recorder is given it as padding (a loss would cost a
// keyframe). A hole that may have been media stays a hole.
func TestLostPaddingIsNoLoss(t *testing.T) {
	type pkt struct {
		seq    uint16
		ts     uint32
		marker bool
		media  bool
	}
	frame := func(seq uint16, ts uint32) pkt { return pkt{seq, ts, true, true} }
	pad := func(seq uint16, ts uint32) pkt { return pkt{seq, ts, false, false} }
	tests := []struct {
		name     string
		sent     []pkt // in arrival order; numbers missing are lost
		wantHole bool
		lostPad  []uint16 // given to the recorder as padding
	}{
		{"after a frame's end", []pkt{frame(10, 1000), pad(13, 1000), frame(14, 4000)}, false, []uint16{11, 12}},
		{"within padding", []pkt{frame(10, 1000), pad(11, 1000), pad(13, 1000), frame(14, 4000)}, false, []uint16{12}},
		{"a frame lost before padding", []pkt{frame(10, 1000), pad(12, 4000), frame(13, 7000)}, true, nil},
		{"a frame's tail lost", []pkt{{10, 1000, false, true}, pad(12, 1000), frame(13, 4000)}, true, nil},
		{"media after the hole", []pkt{frame(10, 1000), frame(12, 4000)}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newMetrics(nil)
			if err != nil {
				t.Fatal(err)
			}
			codec := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, PayloadType: 96}
			up := newUpTrack(TrackInfo{Kind: webrtc.RTPCodecTypeVideo, Codec: codec, SSRC: 1234}, &peerCounters{}, m, func([]rtcp.Packet) error { return nil })
			d := newDownTrack(up, &Peer{metrics: m})
			w := &seqWriter{}
			d.binding.Store(&trackBinding{ssrc: 1, payloadType: 96, writer: w})
			up.addDown(d)
			sink := &paddingSink{}
			up.fanout.Store(&fanout{downs: up.fanout.Load().downs, sinks: []Sink{sink}})
			for _, p := range tc.sent {
				pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: p.seq, Timestamp: p.ts, Marker: p.marker, SSRC: 1234}}
				if p.media {
					pkt.Payload = vp8Delta
				} else {
					pkt.Header.Padding, pkt.Header.PaddingSize = true, 200
				}
				raw, err := pkt.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				up.forward(raw)
			}
			first, last := w.seqs[0], w.seqs[len(w.seqs)-1]
			if hole := last-first+1 != uint16(len(w.seqs)); hole != tc.wantHole {
				t.Errorf("subscriber got %v: a hole %v, want %v", w.seqs, hole, tc.wantHole)
			}
			var lostPad []uint16
			for _, s := range sink.padding {
				if !slices.ContainsFunc(tc.sent, func(p pkt) bool { return p.seq == s }) {
					lostPad = append(lostPad, s)
				}
			}
			if !slices.Equal(lostPad, tc.lostPad) {
				t.Errorf("recorder given %v as lost padding, want %v", lostPad, tc.lostPad)
			}
		})
	}
}
