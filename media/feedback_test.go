package media

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// TestLossCounterReadsTransportFeedback counts the statuses of transport-wide
// feedback, as rtcp.Unmarshal hands it over, through the estimator's RTCP path: run-length
// and vector chunks, a padded last chunk, and other packets ignored.
func TestLossCounterReadsTransportFeedback(t *testing.T) {
	cc := &rtcp.TransportLayerCC{
		PacketStatusCount: 20,
		PacketChunks: []rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 10},
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 3},
			&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: []uint16{
				rtcp.TypeTCCPacketReceivedLargeDelta, rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta}},
			// Past PacketStatusCount: padding, not packets.
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 50},
		},
	}
	pkts := []rtcp.Packet{cc}
	b, err := newDownlinkBWE(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var w lossWindow
	if _, known := w.next(&b.loss); known {
		t.Fatal("loss known before any feedback")
	}
	// The next feedback, past where the padding would reach, settles them.
	pkts = append(pkts, &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{FractionLost: 255}}}, feedbackOf(70))
	if err := b.WriteRTCP(pkts, nil); err != nil {
		t.Fatal(err)
	}
	loss, known := w.next(&b.loss)
	if !known || loss != 4.0/20 {
		t.Fatalf("loss %v (known %v), want 4 of 20 packets", loss, known)
	}
	if _, known := w.next(&b.loss); known {
		t.Fatal("loss known with no feedback since the last reading")
	}
}

// TestResendsLeftOutOfTheLoss: a packet sent again under its RTP sequence
// number, which a receiver that has it drops as a replay and reports lost,
// is not counted; a hole's late packet, sent for the first time, is.
func TestResendsLeftOutOfTheLoss(t *testing.T) {
	const twccID = 5
	b, err := newDownlinkBWE(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	info := &interceptor.StreamInfo{SSRC: 1, MimeType: "video/VP8",
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: twccID}}}
	w := b.AddStream(info, interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil }))
	// RTP 1, 2, 4, then 3 late (a hole's packet), then 2 and 4 again.
	for twcc, seq := range []uint16{1, 2, 4, 3, 2, 4} {
		h := &rtp.Header{SSRC: 1, SequenceNumber: seq}
		if err := h.SetExtension(twccID, []byte{0, byte(twcc)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(h, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	const r, l = tccReceived, tccLost
	if err := b.WriteRTCP([]rtcp.Packet{feedbackOf(0, r, r, r, l, l, l), feedbackOf(6)}, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := [2]uint64{b.loss.received.Load(), b.loss.lost.Load()}, [2]uint64{3, 1}; got != want {
		t.Errorf("received, lost = %v, want %v: the late first sending counted, the resends not", got, want)
	}
}

func TestSentSeqsTellsResends(t *testing.T) {
	var s sentSeqs
	steps := []struct {
		seq   uint16
		again bool
	}{
		{65534, false}, {65535, false}, {1, false}, // 0 skipped: a hole
		{0, false},    // its late packet
		{65535, true}, // a resend
		{0, true},
		{1 + 512, false}, // forgets 1
		{1, false},
	}
	for i, st := range steps {
		if got := s.again(st.seq); got != st.again {
			t.Errorf("step %d, seq %d: again %v, want %v", i, st.seq, got, st.again)
		}
	}
}
