package media

import (
	"testing"

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
	if pub, ok := d.publisherSeq(65535); !ok || pub != 105 {
		t.Fatalf("NACK of 65535 mapped to %d (resent %v), want publisher packet 105", pub, ok)
	}
	if pub, ok := d.publisherSeq(65500); ok {
		t.Fatalf("NACK of 65500, lost before the pause, mapped to %d, want it not resent", pub)
	}
}
