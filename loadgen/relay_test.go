package loadgen

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func startRelay(t *testing.T) string {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeRelay(ctx, conn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
	return conn.LocalAddr().String()
}

func TestRelayForwardsBetweenPairedLegsOnly(t *testing.T) {
	addr := startRelay(t)
	var sent, received atomic.Uint64
	legs, err := dialLegs(t.Context(), addr, 2, &sent, &received)
	if err != nil {
		t.Fatalf("pair legs: %v", err)
	}
	t.Cleanup(func() { closeLegs(legs) })
	h := rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 1, Timestamp: 1, Marker: true}
	pkt, _ := (&rtp.Packet{Header: h, Payload: []byte("frame")}).Marshal()
	legs[0].conn.Write(pkt)
	for i, want := range map[int]bool{1: true, 2: false, 3: false} {
		if got := receives(legs[i].conn, pkt); got != want {
			t.Errorf("leg %d got the packet: %v, want %v", i, got, want)
		}
	}
}

// receives reports whether conn reads pkt within a short while.
func receives(conn *net.UDPConn, pkt []byte) bool {
	conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return false
		}
		if string(buf[:n]) == string(pkt) {
			return true
		}
	}
}

func TestRelayBaselineCarriesThePattern(t *testing.T) {
	addr := startRelay(t)
	rep, err := RelayBaseline(t.Context(), RelayConfig{
		Addr: addr, Calls: 2, Duration: 500 * time.Millisecond,
		Media: Media{Source: MediaSynthetic, VideoBitrate: 500_000, PacketSize: 1000, OneWay: true},
	})
	if err != nil {
		t.Fatalf("baseline: %v", err)
	}
	if rep.Sent == 0 || rep.Received == 0 || rep.Received > rep.Sent+50 {
		t.Errorf("sent %d received %d: want packets through the relay, no more than sent", rep.Sent, rep.Received)
	}
}

func TestRelayBaselineRefusesRemoteRelay(t *testing.T) {
	if _, err := RelayBaseline(t.Context(), RelayConfig{Addr: "192.0.2.1:5000", Calls: 1, Duration: time.Second}); err == nil {
		t.Error("a relay off loopback was loaded")
	}
}

func TestPatterns(t *testing.T) {
	clip, err := clipPattern()
	if err != nil {
		t.Fatalf("clip: %v", err)
	}
	if len(clip.frames) != 60 || len(clip.audio) < 99 {
		t.Errorf("clip has %d frames and %d audio packets, want 60 and 100", len(clip.frames), len(clip.audio))
	}
	for _, f := range clip.frames {
		for _, p := range f {
			if len(p) > maxRTPPayload {
				t.Fatalf("clip packet of %d bytes", len(p))
			}
		}
	}
	if kbps := clip.bitsPerSecond() / 1000; kbps < 800 || kbps > 1200 {
		t.Errorf("clip sends %.0f kbit/s, want about 1000", kbps)
	}
	syn := syntheticPattern(1_900_000, 1100)
	if kbps := syn.bitsPerSecond() / 1000; kbps < 1700 || kbps > 2000 {
		t.Errorf("synthetic 1.9 Mbit/s pattern sends %.0f kbit/s", kbps)
	}
	if !isVP8Keyframe(syn.frames[0][0]) || isVP8Keyframe(syn.frames[1][0]) {
		t.Error("synthetic frame 0 must be the only keyframe")
	}
}
