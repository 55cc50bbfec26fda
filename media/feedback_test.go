package media

import (
	"testing"

	"github.com/pion/rtcp"
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
	pkts = append(pkts, &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{FractionLost: 255}}})
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
