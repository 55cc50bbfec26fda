package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

const (
	testTWCC  = 3
	testVP8PT = 96
)

// sentPacket is one packet as the subscriber received it.
type sentPacket struct {
	hdr     rtp.Header
	payload []byte
}

// capturingWriter keeps what a downTrack wrote, with the transport-wide sequence
// number stamped as pion's interceptor stamps it after the write.
type capturingWriter struct {
	twcc uint16
	got  []sentPacket
}

func (w *capturingWriter) WriteRTP(h *rtp.Header, p []byte) (int, error) {
	hdr := h.Clone()
	w.twcc++
	if err := hdr.SetExtension(testTWCC, []byte{byte(w.twcc >> 8), byte(w.twcc)}); err != nil {
		return 0, err
	}
	w.got = append(w.got, sentPacket{hdr, bytes.Clone(p)})
	return len(p), nil
}

func (w *capturingWriter) Write(b []byte) (int, error) { return len(b), nil }

// asDecoderSees is a received media packet as a browser's FEC decoder holds it:
// the RED header taken off, the payload type the block's, and the transport-wide
// sequence number zeroed.
func asDecoderSees(t *testing.T, p sentPacket, redPT uint8) []byte {
	t.Helper()
	hdr := p.hdr.Clone()
	payload := p.payload
	if hdr.PayloadType == redPT {
		hdr.PayloadType, payload = payload[0]&0x7f, payload[1:]
	}
	if hdr.GetExtension(testTWCC) != nil {
		if err := hdr.SetExtension(testTWCC, []byte{0, 0}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := (&rtp.Packet{Header: hdr, Payload: payload}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// recoverPacket rebuilds the one packet an FEC payload (RED header off)
// protects that is missing from have (by sequence number), as RFC 5109 and
// browsers' decoders do. It fails when none or more than one is missing.
func recoverPacket(fec []byte, have map[uint16][]byte, ssrc uint32) ([]byte, error) {
	maskLen := 2
	if fec[0]&0x40 != 0 {
		maskLen = 6
	}
	base := binary.BigEndian.Uint16(fec[2:])
	protect := int(binary.BigEndian.Uint16(fec[10:]))
	hdr := fecHeaderLen + 2 + maskLen
	if len(fec) < hdr+protect {
		return nil, fmt.Errorf("FEC packet of %d bytes, protection length %d", len(fec), protect)
	}
	rec := make([]byte, rtpHeaderLen+protect)
	rec[0], rec[1] = fec[0], fec[1]
	copy(rec[2:4], fec[8:10]) // the length, for now
	copy(rec[4:8], fec[4:8])
	copy(rec[rtpHeaderLen:], fec[hdr:hdr+protect])
	missing := -1
	for i := range 8 * maskLen {
		if fec[12+i/8]&(0x80>>(i%8)) == 0 {
			continue
		}
		seq := base + uint16(i)
		p, ok := have[seq]
		if !ok {
			if missing >= 0 {
				return nil, fmt.Errorf("packets %d and %d both missing", base+uint16(missing), seq)
			}
			missing = i
			continue
		}
		rec[0] ^= p[0]
		rec[1] ^= p[1]
		l := uint16(len(p) - rtpHeaderLen)
		rec[2] ^= byte(l >> 8)
		rec[3] ^= byte(l)
		for k := 4; k < 8; k++ {
			rec[k] ^= p[k]
		}
		if len(p)-rtpHeaderLen > protect {
			return nil, fmt.Errorf("packet %d longer than the protection length", seq)
		}
		for k := rtpHeaderLen; k < len(p); k++ {
			rec[k] ^= p[k]
		}
	}
	if missing < 0 {
		return nil, fmt.Errorf("nothing missing")
	}
	size := int(binary.BigEndian.Uint16(rec[2:])) + rtpHeaderLen
	if size > len(rec) {
		return nil, fmt.Errorf("recovered length %d over %d", size, len(rec))
	}
	rec = rec[:size]
	rec[0] = rec[0]&0x3f | 0x80
	binary.BigEndian.PutUint16(rec[2:], base+uint16(missing))
	binary.BigEndian.PutUint32(rec[8:], ssrc)
	return rec, nil
}

// fecSubscriber is a video downTrack to a subscriber that negotiated FEC and
// reports loss, writing into w.
func fecSubscriber(t *testing.T, loss uint8) (*downTrack, *capturingWriter) {
	t.Helper()
	fec := fecCodecs()
	d, w := subscribedTrack(t, &upTrack{info: TrackInfo{Kind: webrtc.RTPCodecTypeVideo}}, trackBinding{ssrc: 7,
		payloadType: testVP8PT, redPT: uint8(fec[0].PayloadType), fecPT: uint8(fec[1].PayloadType), twccID: testTWCC})
	d.peer.counters.downlinkEstimate.Store(256_000)
	d.redLoss.observe(loss, 0, nil)
	return d, w
}

// subscribedTrack is a downTrack of up to a subscriber, bound as b and
// writing into w.
func subscribedTrack(t *testing.T, up *upTrack, b trackBinding) (*downTrack, *capturingWriter) {
	t.Helper()
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	up.metrics = m
	d := newDownTrack(up, &Peer{metrics: m})
	w := &capturingWriter{}
	b.writer = w
	d.binding.Store(&b)
	return d, w
}

// TestFECRebuildsLostVideoPackets sends frames to a lossy subscriber and drops
// packets from what it received: each lost packet must be rebuilt, byte for
// byte, from the FEC packets and the rest, as the receiver's decoder would.
func TestFECRebuildsLostVideoPackets(t *testing.T) {
	cases := []struct {
		name   string
		loss   uint8 // reported, of 256
		frames []int // packets per frame
		lost   []int // indexes among the media packets sent
	}{
		{"one of a small group", 13, []int{2, 2}, []int{1}},
		{"a burst of two in a keyframe", 26, []int{12}, []int{4, 5}},
		{"one of a frame too big for the short mask", 13, []int{20}, []int{17}},
		{"three apart in a big frame", 64, []int{30}, []int{0, 13, 29}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, w := fecSubscriber(t, c.loss)
			var out rtpScratch
			seq, ts := uint16(65530), uint32(1000)
			for _, n := range c.frames {
				for i := range n {
					payload := bytes.Repeat([]byte{byte(seq), byte(i)}, 300+37*i+int(seq%5))
					hdr := &rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: seq, Timestamp: ts, Marker: i == n-1}
					if !d.forwardRTP(hdr, payload, &out) {
						t.Fatal("packet not forwarded")
					}
					seq++
				}
				ts += fecMaxSpan
			}
			// The next frame's first packet: the last group's FEC goes before it.
			d.forwardRTP(&rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: seq, Timestamp: ts}, []byte{1, 2, 3}, &out)
			checkRecovery(t, d, w, c.lost)
		})
	}
}

// checkRecovery drops the media packets at the indexes lost from what w got and
// rebuilds each from the FEC packets.
func checkRecovery(t *testing.T, d *downTrack, w *capturingWriter, lost []int) {
	t.Helper()
	b := d.binding.Load()
	have := map[uint16][]byte{}
	want := map[uint16][]byte{}
	var fecs [][]byte
	media := 0
	for i, p := range w.got {
		if i > 0 && p.hdr.SequenceNumber != w.got[i-1].hdr.SequenceNumber+1 {
			t.Fatalf("sequence jumps from %d to %d", w.got[i-1].hdr.SequenceNumber, p.hdr.SequenceNumber)
		}
		if p.hdr.PayloadType != b.redPT {
			t.Fatalf("packet %d sent under payload type %d, want RED (%d)", i, p.hdr.PayloadType, b.redPT)
		}
		if p.payload[0] == b.fecPT {
			fecs = append(fecs, p.payload[1:])
			if _, ok := d.publisherSeq(p.hdr.SequenceNumber); ok {
				t.Fatalf("a NACK of FEC packet %d would be resent", p.hdr.SequenceNumber)
			}
			continue
		}
		raw := asDecoderSees(t, p, b.redPT)
		if raw[1]&0x7f != testVP8PT {
			t.Fatalf("media block of type %d, want %d", raw[1]&0x7f, testVP8PT)
		}
		if slices.Contains(lost, media) {
			want[p.hdr.SequenceNumber] = raw
		} else {
			have[p.hdr.SequenceNumber] = raw
		}
		media++
	}
	if len(fecs) == 0 {
		t.Fatal("no FEC packet sent")
	}
	for len(want) > 0 {
		progress := false
		for _, f := range fecs {
			rec, err := recoverPacket(f, have, b.ssrc)
			if err != nil {
				continue
			}
			seq := binary.BigEndian.Uint16(rec[2:])
			if !bytes.Equal(rec, want[seq]) {
				t.Fatalf("packet %d rebuilt as\n%x\nwant\n%x", seq, rec, want[seq])
			}
			have[seq] = rec
			delete(want, seq)
			progress = true
		}
		if !progress {
			t.Fatalf("%d lost packets not rebuilt from %d FEC packets over %d media", len(want), len(fecs), media)
		}
	}
}

// TestNoFECWithoutLoss checks that a subscriber reporting no loss gets plain
// video, no FEC, and its NACKs map back to the publisher's packets.
func TestNoFECWithoutLoss(t *testing.T) {
	d, w := fecSubscriber(t, 0)
	var out rtpScratch
	for i := range 20 {
		d.forwardRTP(&rtp.Header{SequenceNumber: uint16(100 + i), Timestamp: uint32(i/2) * fecMaxSpan, Marker: i%2 == 1}, []byte{1, 2, 3}, &out)
	}
	for _, p := range w.got {
		if p.hdr.PayloadType != testVP8PT {
			t.Fatalf("packet %d under payload type %d with no loss reported, want plain VP8", p.hdr.SequenceNumber, p.hdr.PayloadType)
		}
	}
	if len(w.got) != 20 || d.peer.counters.fecForwarded.Load() != 0 {
		t.Fatalf("%d packets sent, %d FEC; want 20, none", len(w.got), d.peer.counters.fecForwarded.Load())
	}
}

// TestFECOnlyForTheSubscribersOwnLoss: a subscriber reports 8 % loss on the
// track. When its transport-wide feedback shows the node's link to it clean,
// the loss was the publisher's uplink's, which FEC from the node cannot mend,
// and it gets plain video; when that link loses packets too, it gets FEC.
func TestFECOnlyForTheSubscribersOwnLoss(t *testing.T) {
	cases := []struct {
		name     string
		linkLoss float64 // of the packets sent on the node's link to it
		wantFEC  bool
	}{
		{"clean link", 0, false},
		{"lossy link", 0.05, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, _ := fecSubscriber(t, 20)
			d.peer.linkLoss.observe(c.linkLoss, true)
			var out rtpScratch
			for i := range 20 {
				d.forwardRTP(&rtp.Header{SequenceNumber: uint16(100 + i), Timestamp: uint32(i/2) * fecMaxSpan, Marker: i%2 == 1}, []byte{1, 2, 3}, &out)
			}
			if got := d.peer.counters.fecForwarded.Load() > 0; got != c.wantFEC {
				t.Fatalf("FEC sent: %v, want %v", got, c.wantFEC)
			}
		})
	}
}

// TestFECOverheadFollowsLoss checks how many FEC packets a group gets.
func TestFECOverheadFollowsLoss(t *testing.T) {
	cases := []struct {
		n    int
		loss float64
		want int
	}{
		{2, 0.02, 1},
		{4, 0.05, 1},
		{12, 0.05, 2},
		{12, 0.2, 6},
		{30, 0.05, 6},
	}
	for _, c := range cases {
		if got := fecPacketsFor(c.n, c.loss); got != c.want {
			t.Errorf("%d packets at %.0f %% loss: %d FEC packets, want %d", c.n, 100*c.loss, got, c.want)
		}
	}
}

// BenchmarkForwardProtected measures forwarding one video packet with FEC on,
// the FEC packets it closes included.
func BenchmarkForwardProtected(b *testing.B) {
	d, _ := fecSubscriber(&testing.T{}, 20)
	b0 := *d.binding.Load()
	b0.writer = &discardWriter{}
	d.binding.Store(&b0)
	var out rtpScratch
	payload := bytes.Repeat([]byte{7}, 1100)
	hdr := &rtp.Header{PayloadType: 100}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		hdr.SequenceNumber, hdr.Marker = uint16(i), i%3 == 2
		hdr.Timestamp = uint32(i/3) * 3000
		d.forwardRTP(hdr, payload, &out)
	}
}

// TestFECProtectsEveryFrame sends VP8 in three temporal layers (the pattern
// 0 2 1 2) to a lossy subscriber: each frame, whatever its layer, is followed
// by FEC over its own packets (after the next frame), and lost packets of
// upper-layer frames and of a base-layer frame are rebuilt.
func TestFECProtectsEveryFrame(t *testing.T) {
	d, w := fecSubscriber(t, 13)
	d.vp8 = true // a VP8 track, whose descriptors name the layers
	var out rtpScratch
	seq, ts := uint16(1000), uint32(0)
	layers := []uint8{0, 2, 1, 2, 0, 2, 1, 2, 0}
	for frame, tid := range layers {
		n := 1
		if tid == 0 {
			n = 3
		}
		for i := range n {
			start := byte(0)
			if i == 0 {
				start = 0x10
			}
			// X, S; T; TID, then the frame's bytes.
			payload := append([]byte{0x80 | start, 0x20, tid << 6}, bytes.Repeat([]byte{byte(frame), byte(i)}, 200+9*i)...)
			d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: i == n-1}, payload, &out)
			seq++
		}
		ts += 3000
	}
	// One more frame, then the next one's first packet: the last frame's FEC
	// goes before it.
	d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: true}, []byte{0x90, 0x20, 0x80, 1}, &out)
	d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: seq + 1, Timestamp: ts + 3000}, []byte{0x90, 0x20, 0, 1}, &out)
	b := d.binding.Load()
	fecs := 0
	for i, p := range w.got {
		if p.payload[0] != b.fecPT {
			continue
		}
		fecs++
		if prev := w.got[i-1]; !prev.hdr.Marker || prev.payload[0] == b.fecPT {
			t.Errorf("FEC packet %d does not follow a frame's last packet", p.hdr.SequenceNumber)
		}
	}
	if fecs != len(layers) {
		t.Fatalf("%d FEC packets, want one after each of the %d frames", fecs, len(layers))
	}
	// The one packet of a layer-2 and of a layer-1 frame, and the middle
	// packet of the second base-layer frame.
	checkRecovery(t, d, w, []int{3, 4, 7})
}

// TestFECWaitsTwoFrames: a frame's FEC is not sent with the frame, nor with
// the next, where a burst of loss that took the frame's last packet would
// often take the FEC too, but just before the first packet of the frame after
// next; a NACK still maps each packet after it to the publisher's.
func TestFECWaitsTwoFrames(t *testing.T) {
	d, w := fecSubscriber(t, 13)
	d.vp8 = true // in temporal layers, each frame a group
	var out rtpScratch
	frame := func(seq uint16, ts uint32, n int) {
		for i := range n {
			payload := append([]byte{0x80, 0x20, 0}, bytes.Repeat([]byte{byte(i)}, 300)...) // X; T; TID 0
			d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: seq + uint16(i), Timestamp: ts, Marker: i == n-1}, payload, &out)
		}
	}
	frame(100, 0, 2)
	frame(102, 3000, 1)
	if len(w.got) != 3 {
		t.Fatalf("%d packets sent with two frames, want their 3 alone", len(w.got))
	}
	frame(103, 6000, 1)
	fecPT := d.binding.Load().fecPT
	if len(w.got) != 5 || w.got[3].payload[0] != fecPT || w.got[4].payload[0] == fecPT {
		t.Fatalf("sent %d packets; want the two frames' 3, the first one's FEC, then the third frame's packet", len(w.got))
	}
	if got := fecProtects(w.got[3].payload); got != 100 {
		t.Fatalf("the FEC protects from %d, want the first frame's 100", got)
	}
	for i, p := range w.got[1:] {
		if p.hdr.SequenceNumber != w.got[i].hdr.SequenceNumber+1 {
			t.Fatalf("sequence numbers %d then %d, want them consecutive", w.got[i].hdr.SequenceNumber, p.hdr.SequenceNumber)
		}
	}
	if pub, ok := d.publisherSeq(w.got[4].hdr.SequenceNumber); !ok || pub != 103 {
		t.Fatalf("a NACK of the third frame's packet maps to %d (%v), want 103", pub, ok)
	}
}

// fecProtects is the first sequence number an FEC packet in RED protects.
func fecProtects(red []byte) uint16 { return binary.BigEndian.Uint16(red[1+2:]) }

// TestNoFECForFramesBeforeAPause: a frame whose FEC still waits when video to
// the subscriber pauses gets none after the resume, where it would take the
// number video resumes at for frames no decoder will use.
func TestNoFECForFramesBeforeAPause(t *testing.T) {
	d, w := fecSubscriber(t, 13)
	d.vp8 = true
	var out rtpScratch
	send := func(seq uint16) {
		payload := append([]byte{0x90, 0x20, 0}, bytes.Repeat([]byte{byte(seq)}, 300)...) // X, S; T; TID 0
		d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: true}, payload, &out)
	}
	send(100)
	send(101)
	d.peer.videoPaused.Store(true)
	send(102)
	d.peer.videoPaused.Store(false)
	send(103)
	fecPT := d.binding.Load().fecPT
	if len(w.got) < 3 || w.got[2].payload[0] == fecPT {
		t.Fatalf("after the resume the subscriber got %d packets, the third FEC: %v; want the resumed frame next", len(w.got), len(w.got) > 2)
	}
}

// TestLatePacketKeepsItsPlaceAfterFEC: a publisher's packet that arrives late
// (its resend, after a loss on the publisher's link) is sent to a subscriber
// that gets FEC under the number its gap was left at, though FEC packets
// sent since have moved the numbering; a NACK for that gap asks for it.
func TestLatePacketKeepsItsPlaceAfterFEC(t *testing.T) {
	d, w := fecSubscriber(t, 13)
	d.vp8 = true
	var out rtpScratch
	const late = 1001 // the base-layer frame's middle packet, lost on the publisher's link
	ts := uint32(0)
	frame := func(first uint16, n int, skip uint16) {
		for i := range n {
			seq := first + uint16(i)
			if seq == skip {
				continue
			}
			payload := append([]byte{0x80, 0x20, 0}, bytes.Repeat([]byte{byte(seq)}, 200)...) // X; T; TID 0
			d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: i == n-1}, payload, &out)
		}
		ts += 3000
	}
	frame(1000, 3, late)
	frame(1003, 3, 0)
	frame(1006, 3, 0)
	gap := w.got[0].hdr.SequenceNumber + 1
	if pub, ok := d.publisherSeq(gap); !ok || pub != late {
		t.Errorf("a NACK for %d asks for the publisher's %d (%v), want %d", gap, pub, ok, late)
	}
	d.forwardRTP(&rtp.Header{Version: 2, SequenceNumber: late, Timestamp: 0}, append([]byte{0x80, 0x20, 0}, bytes.Repeat([]byte{late & 0xff}, 200)...), &out)
	got := w.got[len(w.got)-1].hdr.SequenceNumber
	if got != gap {
		t.Errorf("the late packet went out as %d, want %d, the gap it left", got, gap)
	}
	seen := map[uint16]bool{}
	for _, p := range w.got {
		if seen[p.hdr.SequenceNumber] {
			t.Errorf("%d sent twice", p.hdr.SequenceNumber)
		}
		seen[p.hdr.SequenceNumber] = true
	}
}
