package media

import (
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// seqWriter keeps the sequence numbers a subscriber was sent.
type seqWriter struct{ seqs []uint16 }

func (w *seqWriter) WriteRTP(h *rtp.Header, _ []byte) (int, error) {
	w.seqs = append(w.seqs, h.SequenceNumber)
	return 0, nil
}

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
			d.forwardRTP(&rtp.Header{SequenceNumber: seq}, nil, &out)
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
	nack := &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 65535}, {PacketID: 65500}}}
	got := d.publisherNack(nack).Nacks
	if len(got) != 1 || got[0].PacketID != 105 {
		t.Fatalf("NACK mapped to %+v, want only publisher packet 105 (the one from before the pause dropped)", got)
	}
}
