package media

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// lossyLink is a client's UDP socket on a bad mobile link. It loses lossPct % of the
// incoming video packets, retransmissions included, before decryption, as the network
// would; which ones is a function of the sequence number and of how often that
// packet arrived, so every run loses the same packets. It delays the client's
// outgoing RTCP by uplinkDelay, so NACKs and receiver reports reach the server one
// slow uplink later while the client keeps asking.
type lossyLink struct {
	net.PacketConn
	videoPT     uint8
	lossPct     int
	uplinkDelay time.Duration

	lossy    atomic.Bool
	lost     atomic.Int64 // video packets dropped, retransmissions included
	mu       sync.Mutex
	arrivals map[uint16]int // per video sequence number, while lossy
	dropped  map[uint16]bool
	delayed  sync.WaitGroup
}

func newLossyLink(t *testing.T, lossPct int, uplinkDelay time.Duration) *lossyLink {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return &lossyLink{
		PacketConn: conn, videoPT: 96, lossPct: lossPct, uplinkDelay: uplinkDelay,
		arrivals: map[uint16]int{}, dropped: map[uint16]bool{},
	}
}

// mux wraps the link for a client; the test closes it (and the socket) after the
// client, once the delayed writes are out.
func (l *lossyLink) mux(t *testing.T) ice.UDPMux {
	m := webrtc.NewICEUDPMux(nil, l)
	t.Cleanup(func() {
		_ = m.Close()
		l.delayed.Wait()
	})
	return m
}

func (l *lossyLink) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, addr, err := l.PacketConn.ReadFrom(b)
		if err != nil || !l.drop(b[:n]) {
			return n, addr, err
		}
	}
}

func (l *lossyLink) drop(b []byte) bool {
	if !l.lossy.Load() || !isRTP(b) || b[1]&0x7f != l.videoPT {
		return false
	}
	seq := uint16(b[2])<<8 | uint16(b[3])
	l.mu.Lock()
	defer l.mu.Unlock()
	l.arrivals[seq]++
	draw := rand.New(rand.NewPCG(uint64(seq), uint64(l.arrivals[seq]))).IntN(100)
	if draw >= l.lossPct {
		return false
	}
	l.dropped[seq] = true
	l.lost.Add(1)
	return true
}

func (l *lossyLink) WriteTo(b []byte, addr net.Addr) (int, error) {
	if !isRTCP(b) {
		return l.PacketConn.WriteTo(b, addr)
	}
	late := append([]byte(nil), b...)
	l.delayed.Add(1)
	time.AfterFunc(l.uplinkDelay, func() {
		defer l.delayed.Done()
		_, _ = l.PacketConn.WriteTo(late, addr)
	})
	return len(b), nil
}

func (l *lossyLink) droppedSeqs() []uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	seqs := make([]uint16, 0, len(l.dropped))
	for seq := range l.dropped {
		seqs = append(seqs, seq)
	}
	return seqs
}

// isRTCP and isRTP tell SRTP and SRTCP apart from STUN and DTLS on one socket
// (RFC 7983) and from each other (RFC 5761): RTCP packet types are 192–223.
func isRTCP(b []byte) bool { return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223 }
func isRTP(b []byte) bool  { return len(b) >= 12 && b[0]>>6 == 2 && !isRTCP(b) }

// TestNACKResendsAreCappedUnderLoss runs a call whose agent loses 5 % of the video it
// receives over a link with a slow uplink, so its NACKs for a packet keep coming
// (every 20 ms) while the first resend is still on its way. Each lost packet must be
// repaired, with fewer than 2 resends per lost packet: answering every NACK gives
// 3.2 here. The target, 1.1, is measured in BENCHMARKS.md; alongside the whole
// suite a starved process can delay a resend past the 100 ms gap, and the node
// then rightly resends it again (up to 1.45 per lost packet seen).
func TestNACKResendsAreCappedUnderLoss(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := New(Config{LoopbackOnly: true, Logger: quietLogger(), Registerer: reg})
	if err != nil {
		t.Fatalf("new sfu: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	r := newTestRoom(t, s, "call-nack-cap")
	link := newLossyLink(t, 5, 60*time.Millisecond)
	_, agent := startCall(t, r, clientOptions{}, clientOptions{udpMux: link.mux(t)})
	camera := agent.waitPackets("station-main", "camera", 20)

	before := r.Stats().Peers["agent-1"].NACKsAnswered
	start := camera.packets.Load()
	link.lossy.Store(true)
	agent.waitPackets("station-main", "camera", start+1000)
	link.lossy.Store(false)

	lost := link.lost.Load()
	if lost < 20 {
		t.Fatalf("the link lost only %d video packets of 1000", lost)
	}
	dropped := link.droppedSeqs()
	for _, seq := range dropped {
		waitFor(t, "every lost packet to be repaired", func() bool {
			_, ok := camera.seqs.Load(seq)
			return ok
		})
	}
	// NACKs still on the slow uplink are answered (or not) before counting.
	time.Sleep(5 * link.uplinkDelay)

	resent := int64(r.Stats().Peers["agent-1"].NACKsAnswered - before)
	t.Logf("lost %d video packets (%d distinct, the rest retransmissions), resent %d: %.2f resends per lost packet",
		lost, len(dropped), resent, float64(resent)/float64(lost))
	if resent >= 2*lost {
		t.Errorf("the node resent %d packets for %d lost ones, 2× or more", resent, lost)
	}
	if m := camera.mismatches.Load(); m != 0 {
		t.Errorf("%d packets differ from what the station sent", m)
	}
	if got := counterSum(t, reg, "cloudwindow_media_nacks_answered_total"); got < float64(resent) {
		t.Errorf("/metrics shows %v resends, the agent alone got %d", got, resent)
	}
	if got := counterSum(t, reg, "cloudwindow_media_nack_resends_suppressed_total"); got == 0 {
		t.Errorf("/metrics shows no suppressed resend although NACKs were repeated")
	}
}

// counterSum adds up every series of a counter family in reg.
func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// TestResendCap walks one subscriber's NACKs for one cached packet along a clock the
// test moves, checking which NACKs lead to a resend.
func TestResendCap(t *testing.T) {
	type nack struct {
		after  time.Duration // since the previous NACK (the first: since arrival)
		resent bool
	}
	tests := []struct {
		name string
		rtt  time.Duration
		why  suppressReason // the reason of the suppressed NACKs
		seq  []nack
	}{
		{"three times at most", 0, suppressLimit, []nack{
			{0, true}, {100 * time.Millisecond, true}, {100 * time.Millisecond, true},
			{100 * time.Millisecond, false}, {300 * time.Millisecond, false},
		}},
		{"not within 100 ms while the RTT is unknown", 0, suppressInterval, []nack{
			{0, true}, {20 * time.Millisecond, false}, {79 * time.Millisecond, false}, {time.Millisecond, true},
		}},
		{"not within 2×RTT when that is shorter", 15 * time.Millisecond, suppressInterval, []nack{
			{0, true}, {20 * time.Millisecond, false}, {10 * time.Millisecond, true},
		}},
		{"not within 100 ms when 2×RTT is longer", 300 * time.Millisecond, suppressInterval, []nack{
			{0, true}, {99 * time.Millisecond, false}, {time.Millisecond, true},
		}},
		{"not when older than a second", 0, suppressAge, []nack{
			{1100 * time.Millisecond, false},
		}},
		{"not when older than a second and half the RTT", 400 * time.Millisecond, suppressAge, []nack{
			{1050 * time.Millisecond, true}, {100 * time.Millisecond, true}, {100 * time.Millisecond, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, raw := benchTrack(t, 1)
			d := up.fanout.Load().downs[0]
			w := d.binding.Load().writer.(*discardWriter)
			up.forward(raw) // cached with sequence number 1
			r := newResender(d)
			now := time.Now()
			r.now = func() time.Time { return now }
			r.rtt = tc.rtt
			wantResent, wantSuppressed := 0, 0
			for i, n := range tc.seq {
				now = now.Add(n.after)
				before := w.n
				r.resend(up.cache, 1, 1)
				if got := w.n > before; got != n.resent {
					t.Fatalf("NACK %d (+%v): resent=%v, want %v", i+1, n.after, got, n.resent)
				}
				if n.resent {
					wantResent++
				} else {
					wantSuppressed++
				}
			}
			st := d.peer.ResendStats()
			if st.Resent != uint64(wantResent) || st.Suppressed != uint64(wantSuppressed) {
				t.Errorf("stats %+v, want %d resent and %d suppressed", st, wantResent, wantSuppressed)
			}
			if got := value(t, d.peer.metrics.resendsSuppressed[tc.why]); got != float64(wantSuppressed) {
				t.Errorf("suppressed for reason %s: %v, want %d", suppressReasonNames[tc.why], got, wantSuppressed)
			}
		})
	}
}

func TestResendStartsAfreshForANewPacketInTheSlot(t *testing.T) {
	up, raw := benchTrack(t, 1)
	d := up.fanout.Load().downs[0]
	up.forward(raw)
	r := newResender(d)
	now := time.Now()
	r.now = func() time.Time { return now }
	for range resendMaxPerPacket + 1 {
		r.resend(up.cache, 1, 1)
		now = now.Add(resendMaxGap)
	}
	up.forward(raw) // sequence number 1 again, as after a wrap-around
	r.resend(up.cache, 1, 1)
	if st := d.peer.ResendStats(); st.Resent != resendMaxPerPacket+1 {
		t.Errorf("stats %+v: the new packet was not resent", st)
	}
	r.resend(up.cache, 2, 2)
	if got := value(t, d.peer.metrics.resendsSuppressed[suppressNotCached]); got != 1 {
		t.Errorf("a NACK for a packet never cached counted %v times as not cached", got)
	}
}

func TestRoundTripFromReceiverReports(t *testing.T) {
	up, _ := benchTrack(t, 1)
	d := up.fanout.Load().downs[0]
	r := newResender(d)
	now := time.Now()
	r.now = func() time.Time { return now }
	ssrc := d.binding.Load().ssrc
	report := func(sentAgo, held time.Duration) *rtcp.ReceiverReport {
		return &rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{
			{SSRC: ssrc + 1, LastSenderReport: compactNTP(now.Add(-time.Hour))}, // another track
			{SSRC: ssrc, LastSenderReport: compactNTP(now.Add(-sentAgo)), Delay: uint32(held * 65536 / time.Second)},
		}}
	}
	r.observe(&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: ssrc}}}) // no SR seen yet
	if r.rtt != 0 {
		t.Fatalf("rtt %v from a report without LSR", r.rtt)
	}
	r.observe(report(80*time.Millisecond, 20*time.Millisecond))
	if r.rtt < 59*time.Millisecond || r.rtt > 61*time.Millisecond {
		t.Fatalf("rtt %v, want 60 ms", r.rtt)
	}
	if r.gap() != resendMaxGap {
		t.Errorf("gap %v at 60 ms RTT, want %v", r.gap(), resendMaxGap)
	}
	for range 50 {
		r.observe(report(30*time.Millisecond, 10*time.Millisecond))
	}
	if g := r.gap(); g < 39*time.Millisecond || g > 41*time.Millisecond {
		t.Errorf("gap %v at 20 ms RTT, want 40 ms", g)
	}
}

// BenchmarkResend measures answering a NACK for one cached packet: the cap's
// bookkeeping, the cache copy, the rewrite and the write.
func BenchmarkResend(b *testing.B) {
	up, raw := benchTrack(b, 1)
	r := newResender(up.fanout.Load().downs[0])
	nack := &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{}}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		seq := uint16(i)
		raw[2], raw[3] = byte(seq>>8), byte(seq)
		up.cache.store(seq, raw)
		nack.Nacks[0].PacketID = seq
		r.answer(nack)
	}
	if st := r.d.peer.ResendStats(); st.Resent != uint64(b.N) {
		b.Fatalf("resent %d of %d", st.Resent, b.N)
	}
}

// TestUnrecoverableLossAsksForAKeyframe NACKs one video packet until no more
// resends are due: the node then asks the publisher for a keyframe at once,
// once, instead of leaving the subscriber's decoder stalled until the browser
// asks, seconds later. Not for a packet above the base temporal layer, whose
// loss spoils no frame after it, nor for one a keyframe has followed.
func TestUnrecoverableLossAsksForAKeyframe(t *testing.T) {
	vp8Layer := func(tid byte) []byte { // X, S; T; TID; an interframe's tag
		return append([]byte{0x90, 0x20, tid << 6, 0x01}, make([]byte, 1000)...)
	}
	vp8Key := []byte{0x90, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00}
	ms := time.Millisecond
	tests := []struct {
		name     string
		payload  []byte // of the packet NACKed; nil: one layer
		keyAfter bool   // a keyframe follows it
		nacks    []time.Duration
		want     int
	}{
		{"resent in time", nil, false, []time.Duration{0, 300 * ms}, 0},
		{"too old to resend, NACKed twice more", nil, false, []time.Duration{0, 1100 * ms, 300 * ms, 300 * ms}, 1},
		{"resent three times", nil, false, []time.Duration{0, 100 * ms, 100 * ms, 100 * ms, 100 * ms}, 1},
		{"in the base layer", vp8Layer(0), false, []time.Duration{1100 * ms}, 1},
		{"above the base layer", vp8Layer(2), false, []time.Duration{1100 * ms}, 0},
		{"a keyframe since", nil, true, []time.Duration{1100 * ms}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, raw := benchTrack(t, 1)
			var plis atomic.Int32
			up.writeRTCP = func([]rtcp.Packet) error { plis.Add(1); return nil }
			d := up.fanout.Load().downs[0]
			send := func(seq uint16, payload []byte) {
				var p rtp.Packet
				if err := p.Unmarshal(raw); err != nil {
					t.Fatal(err)
				}
				p.SequenceNumber = seq
				if payload != nil {
					p.Payload = payload
				}
				b, err := p.Marshal()
				if err != nil {
					t.Fatal(err)
				}
				up.forward(b)
			}
			send(1, tc.payload)
			if tc.keyAfter {
				send(2, vp8Key)
			}
			plis.Store(0)
			r := newResender(d)
			now := time.Now()
			r.now = func() time.Time { return now }
			for _, after := range tc.nacks {
				now = now.Add(after)
				r.resend(up.cache, 1, 1)
			}
			if got := int(plis.Load()); got != tc.want {
				t.Errorf("%d keyframe requests, want %d", got, tc.want)
			}
			if got := value(t, d.peer.metrics.lossKeyframes); got != float64(tc.want) {
				t.Errorf("unrecovered losses counted %v, want %d", got, tc.want)
			}
		})
	}
}
