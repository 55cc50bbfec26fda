package media

import (
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
