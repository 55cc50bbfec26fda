package media

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/linkemu"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// opusFrame is a recognisable frame of size bytes for frame number n.
func opusFrame(n, size int) []byte {
	return bytes.Repeat([]byte{byte(n)}, size)
}

// TestREDEncoderRoundTrip: what the encoder builds, split as a receiver does,
// gives back the primary frame and the earlier frames the plan names, oldest
// first, each at its own timestamp.
func TestREDEncoderRoundTrip(t *testing.T) {
	tests := []struct {
		plan redPlan
		want []int // frame numbers of the redundant blocks; the primary is frame 6
	}{
		{redPlan{0, 0}, nil},
		{redPlan{1, 1}, []int{5}},
		{redPlan{2, 2}, []int{4, 5}},
		{redPlan{3, 3}, []int{3, 4, 5}},
		{redPlan{2, 5}, []int{1, 5}},
		{redPlan{3, 6}, []int{0, 3, 5}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.plan), func(t *testing.T) {
			e := newREDEncoder()
			for n := 0; n < 6; n++ {
				e.push(uint32(n*960), opusFrame(n, 60+n))
			}
			payload := e.encode(6*960, 111, opusFrame(6, 66), tc.plan)
			redundant, primary, err := client.SplitRED(payload)
			if err != nil {
				t.Fatalf("split: %v", err)
			}
			if primary.PayloadType != 111 || !bytes.Equal(primary.Payload, opusFrame(6, 66)) {
				t.Errorf("primary: type %d, %d bytes; want the frame sent", primary.PayloadType, len(primary.Payload))
			}
			if len(redundant) != len(tc.want) {
				t.Fatalf("%d redundant frames, want %d", len(redundant), len(tc.want))
			}
			for i, b := range redundant {
				n := tc.want[i]
				if b.PayloadType != 111 || b.TimestampOffset != uint32((6-n)*960) || !bytes.Equal(b.Payload, opusFrame(n, 60+n)) {
					t.Errorf("redundant %d: type %d, offset %d, %d bytes; want frame %d", i, b.PayloadType, b.TimestampOffset, len(b.Payload), n)
				}
			}
		})
	}
}

// TestREDReachFollowsJitter: the frames repeated reach further back over a
// receiver that reports more jitter, never past what the encoder keeps, and
// one redundant frame is always the previous one.
func TestREDReachFollowsJitter(t *testing.T) {
	tests := []struct {
		k        int
		jitterMs int
		want     int
	}{
		{1, 30, 1},
		{2, 0, 2},
		{2, 5, 2},
		{2, 17, 5},
		{3, 17, 5},
		{3, 100, redMaxReach},
	}
	for _, tc := range tests {
		if got := reachFor(tc.k, jitterReach(uint32(tc.jitterMs*opusClockPerMs))); got != tc.want {
			t.Errorf("%d frames at %d ms jitter: reach %d, want %d", tc.k, tc.jitterMs, got, tc.want)
		}
	}
}

// TestREDEncoderWithFewFramesKept: a plan reaching past the frames kept so far
// carries those it can, newest first.
func TestREDEncoderWithFewFramesKept(t *testing.T) {
	e := newREDEncoder()
	e.push(0, opusFrame(0, 40))
	e.push(960, opusFrame(1, 40))
	redundant, _, err := client.SplitRED(e.encode(1920, 111, opusFrame(2, 40), redPlan{2, 5}))
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	if len(redundant) != 1 || redundant[0].TimestampOffset != 960 {
		t.Fatalf("redundant blocks %+v, want frame 1 alone", redundant)
	}
}

// TestREDEncoderStaysWithinWhatRedCanCarry: frames the packet has no room for,
// or that are too old for the 14-bit offset, are left out, oldest first, and a
// reordered or duplicate frame is not kept.
func TestREDEncoderStaysWithinWhatRedCanCarry(t *testing.T) {
	tests := []struct {
		name       string
		ts         []uint32 // earlier frames' timestamps, pushed in order
		size       int      // bytes of every frame
		at         uint32   // the primary's timestamp
		wantFrames int
	}{
		{"room for all three", []uint32{0, 960, 1920}, 260, 2880, 3},
		{"room for the newest two", []uint32{0, 960, 1920}, 360, 2880, 2},
		{"room for the newest one", []uint32{0, 960, 1920}, 500, 2880, 1},
		{"the oldest too old for the offset", []uint32{0, 960 * 10, 960 * 17}, 60, 960 * 18, 2},
		{"a frame after a long silence", []uint32{0, 960, 1920}, 60, 960 * 100, 0},
		{"a duplicate is kept once", []uint32{0, 960, 960}, 60, 1920, 2},
		{"a reordered frame is not kept", []uint32{0, 1920, 960}, 60, 2880, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newREDEncoder()
			for i, ts := range tc.ts {
				e.push(ts, opusFrame(i, tc.size))
			}
			payload := e.encode(tc.at, 111, opusFrame(9, tc.size), redPlan{maxRedundancy, maxRedundancy})
			if len(payload) > redMaxPayload {
				t.Errorf("payload of %d bytes, more than %d", len(payload), redMaxPayload)
			}
			redundant, primary, err := client.SplitRED(payload)
			if err != nil {
				t.Fatalf("split: %v", err)
			}
			if len(redundant) != tc.wantFrames || len(primary.Payload) != tc.size {
				t.Fatalf("%d redundant frames and a primary of %d bytes, want %d and %d", len(redundant), len(primary.Payload), tc.wantFrames, tc.size)
			}
			for i := 1; i < len(redundant); i++ {
				if redundant[i].TimestampOffset >= redundant[i-1].TimestampOffset {
					t.Errorf("frames not oldest first: offsets %d then %d", redundant[i-1].TimestampOffset, redundant[i].TimestampOffset)
				}
			}
		})
	}
}

// TestREDEncoderRebuildsAfterPush: a payload built for one packet is not
// reused for the next one.
func TestREDEncoderRebuildsAfterPush(t *testing.T) {
	e := newREDEncoder()
	e.push(0, opusFrame(0, 50))
	first := bytes.Clone(e.encode(960, 111, opusFrame(1, 50), redPlan{1, 1}))
	if again := e.encode(960, 111, opusFrame(1, 50), redPlan{1, 1}); !bytes.Equal(first, again) {
		t.Fatal("the same packet encoded twice differs")
	}
	e.push(960, opusFrame(1, 50))
	next := e.encode(1920, 111, opusFrame(2, 50), redPlan{1, 1})
	_, primary, err := client.SplitRED(next)
	if err != nil || !bytes.Equal(primary.Payload, opusFrame(2, 50)) {
		t.Fatalf("the next packet carries the previous primary (err %v)", err)
	}
}

// TestRedundancyFollowsLoss: more frames for more loss, and for loss in
// bursts (a share of losses right after a loss) than for as much at random.
func TestRedundancyFollowsLoss(t *testing.T) {
	tests := []struct {
		loss, follow float64
		limit, want  int
	}{
		{0, 0, 3, 0},
		{0.001, 0, 3, 0},
		{0.01, 0, 3, 1},
		{0.04, 0, 3, 1},
		{0.05, 0, 3, 2},
		{0.1, 0, 3, 2},
		{0.2, 0, 3, 3},
		{0.5, 0, 3, 3},
		{0.2, 0, 2, 2},
		{0.2, 0, 0, 0},
		{0.01, 0.01, 3, 1}, // random: a loss follows a loss as often as any packet is lost
		{0.01, 0.5, 3, 2},  // bursts: the next packet is often lost too
		{0.03, 0.5, 3, 2},
		{0.03, 0, 3, 1},
		{0.2, 0.5, 3, 3},
	}
	for _, tc := range tests {
		if got := redundancyFor(tc.loss, tc.follow, tc.limit); got != tc.want {
			t.Errorf("redundancyFor(%v, follow %v, limit %d) = %d, want %d", tc.loss, tc.follow, tc.limit, got, tc.want)
		}
	}
}

// feedbackOf is transport-wide feedback on the packets from seq on, one
// status each.
func feedbackOf(seq uint16, symbols ...uint16) *rtcp.TransportLayerCC {
	return &rtcp.TransportLayerCC{BaseSequenceNumber: seq, PacketStatusCount: uint16(len(symbols)),
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit, SymbolList: symbols}}}
}

const tccReceived, tccLost = rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketNotReceived

// TestLossCounterTellsBursts: the transport-wide feedback's losses that come
// right after a loss are counted, across feedback packets too.
func TestLossCounterTellsBursts(t *testing.T) {
	const r, l = tccReceived, tccLost
	var c lossCounter
	for seq := range uint16(30) {
		c.sent(seq, false, false)
	}
	c.add([]rtcp.Packet{feedbackOf(0, r, l, l, l, r, l, r)})
	c.add([]rtcp.Packet{feedbackOf(7, l), &rtcp.TransportLayerCC{BaseSequenceNumber: 8, PacketStatusCount: 4,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{PacketStatusSymbol: l, RunLength: 3}, &rtcp.RunLengthChunk{PacketStatusSymbol: r, RunLength: 9}}}})
	c.add([]rtcp.Packet{feedbackOf(12, r)}) // settles what came before
	// Lost: 3 in a row (2 after a loss), 1 alone, then 1 and 3 more across
	// the next feedback (3 after a loss); the last run counts 1 of its 9.
	if got, want := [3]uint64{c.received.Load(), c.lost.Load(), c.lostAfterLost.Load()}, [3]uint64{3 + 1, 8, 5}; got != want {
		t.Errorf("received, lost, lost after a loss = %v, want %v", got, want)
	}
}

// TestLossCounterLatePackets: a packet that a feedback called lost, and the
// next one reports received with all that came after it (as Chromium does
// for a packet that arrives late), counts as received, and every packet once;
// feedback that jumps half the numbers ahead is counted from there.
func TestLossCounterLatePackets(t *testing.T) {
	const r, l = tccReceived, tccLost
	var c lossCounter
	for seq := range uint16(20) {
		c.sent(seq, false, false)
	}
	c.add([]rtcp.Packet{feedbackOf(0, r, r, r, l, r, r, l, r, r, r)}) // 3 late, 6 lost
	c.add([]rtcp.Packet{feedbackOf(3, r, r, r, l, r, r, r, r, r, r)}) // 3 again, and on to 12
	c.add([]rtcp.Packet{feedbackOf(13, r)})
	if got, want := [2]uint64{c.received.Load(), c.lost.Load()}, [2]uint64{12, 1}; got != want {
		t.Errorf("received, lost = %v, want %v", got, want)
	}
	// Feedback half the numbers ahead (a long outage): counting goes on there.
	for seq := range uint16(3) {
		c.sent(40_000+seq, false, false)
	}
	c.add([]rtcp.Packet{feedbackOf(40_000, r, l)})
	c.add([]rtcp.Packet{feedbackOf(40_002, r)})
	if got, want := [2]uint64{c.received.Load(), c.lost.Load()}, [2]uint64{12 + 1, 1 + 1}; got != want {
		t.Errorf("after a jump: received, lost = %v, want %v", got, want)
	}
}

// TestRedundancyComesUpAtOnceAndDownSlowly: one lossy report raises the
// redundancy; a clean report after it lowers it only step by step.
func TestRedundancyComesUpAtOnceAndDownSlowly(t *testing.T) {
	var l redLoss
	if got := l.plan(3, 80, 0, 0).k; got != redUnknownLoss {
		t.Errorf("before any report: %d redundant frames, want %d", got, redUnknownLoss)
	}
	l.observe(51, 0, nil) // 20 %
	if got := l.plan(3, 80, 0, 0).k; got != 3 {
		t.Errorf("after a report of 20 %% loss: %d, want 3", got)
	}
	l.observe(0, 0, nil)
	if got := l.plan(3, 80, 0, 0).k; got != 3 {
		t.Errorf("after one clean report: %d, want still 3 (15 %% smoothed)", got)
	}
	for range 30 {
		l.observe(0, 0, nil)
	}
	if got := l.plan(3, 80, 0, 0).k; got != 0 {
		t.Errorf("after many clean reports: %d, want 0", got)
	}
}

// TestRedundancyFloorFromFeedback: audio lost in the transport-wide
// feedback raises every audio track's redundancy at the next adaptation
// tick, before any receiver report; video lost does not. The floor goes
// down as the reports' share does, and never lowers what the reports ask.
func TestRedundancyFloorFromFeedback(t *testing.T) {
	const r, l = tccReceived, tccLost
	var (
		red   redLoss
		floor redFloor
		c     lossCounter
		seq   uint16
	)
	// tick sends ten packets, audio and video in turn, and takes feedback
	// that reports the audio ones (or the video ones) lost as given.
	tick := func(lostAudio, lostVideo int) int {
		symbols := make([]uint16, 10)
		for i := range symbols {
			audio := i%2 == 0
			c.sent(seq+uint16(i), audio, false)
			symbols[i] = r
			if audio && i/2 < lostAudio || !audio && i/2 < lostVideo {
				symbols[i] = l
			}
		}
		c.add([]rtcp.Packet{feedbackOf(seq, symbols...)})
		seq += 10
		c.add([]rtcp.Packet{feedbackOf(seq)}) // the next feedback settles these
		floor.observe(&c)
		return red.plan(3, 80, 0, int(floor.want.Load())).k
	}
	if got := tick(0, 0); got != redUnknownLoss {
		t.Errorf("no loss, no report yet: %d redundant frames, want %d", got, redUnknownLoss)
	}
	if got := tick(0, 3); got != redUnknownLoss {
		t.Errorf("video lost, audio not: %d redundant frames, want %d", got, redUnknownLoss)
	}
	if got := tick(1, 0); got != 3 {
		t.Errorf("a tick with 1 of 5 audio packets lost: %d, want 3", got)
	}
	if got := red.plan(3, 80, audioRate(80, 2), int(floor.want.Load())).k; got != 2 {
		t.Errorf("the floor within an estimate for 2: %d, want 2", got)
	}
	for range 30 {
		tick(0, 0)
	}
	if got := floor.want.Load(); got != 0 {
		t.Errorf("after many clean ticks: floor %d, want 0", got)
	}
	red.observe(51, 0, nil) // 20 %
	if got := tick(0, 0); got != 3 {
		t.Errorf("a report of 20 %% loss over a floor of 0: %d, want 3", got)
	}
}

// TestFeedbackTellsAudioFromVideo: in a call with downlink adaptation, a
// subscriber's transport-wide feedback counts its audio packets apart from
// its video ones, as the redundancy floor needs.
func TestFeedbackTellsAudioFromVideo(t *testing.T) {
	s := newAdaptingSFU(t)
	r := newTestRoom(t, s, "call-feedback")
	station, _ := startCall(t, r, clientOptions{twcc: true}, clientOptions{})
	station.waitPackets("agent-main", "audio", 100)
	loss := &station.peer.bwe.loss
	deadline := time.Now().Add(10 * time.Second)
	for loss.audioReceived.Load() < 50 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	audio, all := loss.audioReceived.Load(), loss.received.Load()
	if audio < 50 || all < audio+50 {
		t.Errorf("feedback counted %d packets received, %d of them audio; want audio and video apart", all, audio)
	}
}

// TestRedundancyStaysWithinTheEstimate: audio with its redundancy never asks
// for more than the receiver's downlink estimate.
func TestRedundancyStaysWithinTheEstimate(t *testing.T) {
	var l redLoss
	l.observe(51, 0, nil) // 20 %: 3 wanted
	tests := []struct {
		estimate int64
		want     int
	}{
		{0, 3}, // no estimate: adaptation off
		{1_000_000, 3},
		{audioRate(80, 3), 3},
		{audioRate(80, 3) - 1, 2},
		{audioRate(80, 1), 1},
		{30_000, 0},
	}
	for _, tc := range tests {
		got := l.plan(3, 80, tc.estimate, 0).k
		if got != tc.want {
			t.Errorf("estimate %d bit/s: %d redundant frames, want %d", tc.estimate, got, tc.want)
		}
		if tc.estimate > 0 && got > 0 && audioRate(80, got) > tc.estimate {
			t.Errorf("estimate %d bit/s: audio with %d frames needs %d", tc.estimate, got, audioRate(80, got))
		}
	}
}

// TestREDEncoderKeepsThePublishersRedundancy: a frame lost on the publisher's
// uplink but repeated in its own RED is repeated on to subscribers too.
func TestREDEncoderKeepsThePublishersRedundancy(t *testing.T) {
	e := newREDEncoder()
	e.push(0, opusFrame(0, 40))
	// Frame 1 (at 960) never arrived; frame 2's RED repeats it.
	fromPublisher := append([]byte{0x80 | 111, 0x0f, 0x00, 40, 111}, append(opusFrame(1, 40), opusFrame(2, 40)...)...)
	e.keepRedundant(1920, fromPublisher)
	e.push(1920, opusFrame(2, 40))
	redundant, _, err := client.SplitRED(e.encode(2880, 111, opusFrame(3, 40), redPlan{3, 3}))
	if err != nil {
		t.Fatalf("split: %v", err)
	}
	var got []uint32
	for _, b := range redundant {
		got = append(got, b.TimestampOffset)
	}
	if fmt.Sprint(got) != fmt.Sprint([]uint32{2880, 1920, 960}) || !bytes.Equal(redundant[1].Payload, opusFrame(1, 40)) {
		t.Errorf("redundant frames at offsets %v, want frames 0, 1 and 2 (offsets [2880 1920 960])", got)
	}
}

// TestREDSpreadOutlastsABurst: four packets in a row lost take frames for good
// when each packet repeats the two frames just before it, and none when it
// repeats the one before and the fifth before.
func TestREDSpreadOutlastsABurst(t *testing.T) {
	const frames, burstFrom, burstLen = 20, 8, 4
	for _, tc := range []struct {
		plan     redPlan
		wantLost int
	}{
		{redPlan{2, 2}, 2},
		{redPlan{2, 5}, 0},
	} {
		e := newREDEncoder()
		got := map[uint32]bool{}
		for n := 0; n < frames; n++ {
			ts := uint32(n * 960)
			payload := e.encode(ts, 111, opusFrame(n, 40), tc.plan)
			if n < burstFrom || n >= burstFrom+burstLen {
				redundant, _, err := client.SplitRED(payload)
				if err != nil {
					t.Fatalf("split packet %d: %v", n, err)
				}
				got[ts] = true
				for _, b := range redundant {
					got[ts-b.TimestampOffset] = true
				}
			}
			e.push(ts, opusFrame(n, 40))
		}
		lost := 0
		for n := burstFrom; n < burstFrom+burstLen; n++ {
			if !got[uint32(n*960)] {
				lost++
			}
		}
		if lost != tc.wantLost {
			t.Errorf("plan %+v: %d frames of the burst beyond rebuilding, want %d", tc.plan, lost, tc.wantLost)
		}
	}
}

// TestREDSpreadOnIslandWeakBursts plays island-weak's loss model (the link
// emulator's) over 20 minutes of audio sharing the link with ~60 video
// packets a second, and counts the frames no packet carried: spreading the
// two repeated frames back leaves far fewer than repeating the last two. With
// -v it logs the share for each plan (BENCHMARKS.md, "The resident's voice on
// island-weak").
func TestREDSpreadOnIslandWeakBursts(t *testing.T) {
	lost := audioLossOverBursts(*linkemu.Profiles["island-weak"].Down.Burst, 20*60*audioPacketsPerSecond)
	share := func(plan redPlan) float64 {
		gone := 0
		for n := range lost {
			carried := !lost[n]
			for i := 0; i < plan.k && !carried; i++ {
				later := n + plan.distance(i)
				carried = later < len(lost) && !lost[later]
			}
			if !carried {
				gone++
			}
		}
		return float64(gone) / float64(len(lost))
	}
	plans := []redPlan{{0, 0}, {1, 1}, {2, 2}, {3, 3}, {2, 3}, {2, 4}, {2, 5}, {3, 5}, {3, 6}}
	shares := make(map[redPlan]float64)
	for _, p := range plans {
		shares[p] = share(p)
		t.Logf("frames repeated %v: %.2f %% of frames beyond rebuilding", p, 100*shares[p])
	}
	if shares[redPlan{2, 5}] > shares[redPlan{2, 2}]/2 {
		t.Errorf("spread over 5 frames leaves %.2f %%, the last two %.2f %%: want under half",
			100*shares[redPlan{2, 5}], 100*shares[redPlan{2, 2}])
	}
}

// audioLossOverBursts is which of frames audio packets, one every 20 ms with
// video packets at random between them (~60 a second), a link losing packets
// by g loses.
func audioLossOverBursts(g linkemu.GilbertElliott, frames int) []bool {
	rnd := rand.New(rand.NewPCG(1, 2))
	lose := func(bad bool) (bool, bool) {
		if bad {
			bad = rnd.Float64() >= g.BadToGood
		} else {
			bad = rnd.Float64() < g.GoodToBad
		}
		p := g.LossGood
		if bad {
			p = g.LossBad
		}
		return bad, rnd.Float64() < p
	}
	lost := make([]bool, frames)
	bad := false
	for n := range lost {
		for rnd.Float64() < 0.55 { // video packets before this audio packet
			bad, _ = lose(bad)
		}
		bad, lost[n] = lose(bad)
	}
	return lost
}

// TestREDForwardedIsCountedAsSent: the redundancy a receiver is counted to
// carry (and video's share gives way to) is what it is sent: a publisher's RED
// passed on as it came, however many frames it repeats, or the node's own.
func TestREDForwardedIsCountedAsSent(t *testing.T) {
	const frame = 50
	tests := []struct {
		name       string
		loss       uint8  // reported, of 256
		jitterMs   uint32 // reported
		wantBlocks int
	}{
		{"little loss: the publisher's three frames passed on", 5, 0, 3},
		{"bursts over a jittery link: the node's two, spread back", 14, 17, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, w := subscribedTrack(t, &upTrack{info: TrackInfo{Kind: webrtc.RTPCodecTypeAudio}, redMax: maxRedundancy},
				trackBinding{ssrc: 7, payloadType: 111, redPT: 63})
			d.redLoss.observe(tc.loss, tc.jitterMs*opusClockPerMs, nil)
			enc := newREDEncoder()
			pub := newREDEncoder() // the publisher's own RED of three frames
			var out rtpScratch
			for n := range 8 {
				ts := uint32(n * 960)
				red := pub.encode(ts, 111, opusFrame(n, frame), redPlan{3, 3})
				enc.keepRedundant(ts, red)
				d.forwardAudio(&rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: ts}, red, opusFrame(n, frame), enc, &out)
				pub.push(ts, opusFrame(n, frame))
				enc.push(ts, opusFrame(n, frame))
			}
			last := w.got[len(w.got)-1].payload
			if got := redBlocks(last); got != tc.wantBlocks {
				t.Errorf("%d redundant frames sent, want %d", got, tc.wantBlocks)
			}
			if got, want := d.redBps.Load(), audioRate(frame, tc.wantBlocks)-audioRate(frame, 0); got != want {
				t.Errorf("redundancy counted at %d bit/s, want %d (the frames sent)", got, want)
			}
		})
	}
}

// TestThinDownlinkStartsLow: a station known to be on a thin link has its
// downlink estimate, and so the agent's camera cap, start at thinLinkStart
// instead of the default, which a 256 kbit/s link's queue dropped.
func TestThinDownlinkStartsLow(t *testing.T) {
	s := newAdaptingSFU(t)
	r := newTestRoom(t, s, "call-thin")
	station, _ := startCall(t, r, clientOptions{}, clientOptions{})
	station.peer.ExpectThinDownlink()
	estimates := func() (station, agent int64) {
		for _, p := range r.Stats().Peers {
			switch p.Party {
			case "station":
				station = p.DownlinkEstimate
			case "agent":
				agent = p.DownlinkEstimate
			}
		}
		return station, agent
	}
	// A tick may have come before the estimate started over: wait for one after.
	waitFor(t, "the thin station's downlink estimate at about thinLinkStart", func() bool {
		st, _ := estimates()
		return st > 0 && st <= thinLinkStart*11/10
	})
	if _, ag := estimates(); ag < initialEstimate/2 {
		t.Errorf("the agent's downlink estimate starts at %d bit/s, want about %d: only the thin link starts low", ag, initialEstimate)
	}
}

// TestSpeechRateTowardsAThinStation: once the station is known to be on a thin
// link, the agent is told to speak at speechRate; before, and the station
// itself, never.
func TestSpeechRateTowardsAThinStation(t *testing.T) {
	s := newAdaptingSFU(t)
	r := newTestRoom(t, s, "call-speech")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	waitFor(t, "a limit told to the agent", func() bool { return agent.limit.Load() != nil })
	if l := agent.limit.Load(); l.Voice != 0 {
		t.Fatalf("the agent told %+v towards a station on a good link, want no voice limit", *l)
	}
	station.peer.ExpectThinDownlink()
	waitFor(t, "the agent told to speak at a speech rate", func() bool {
		l := agent.limit.Load()
		return l.Voice == speechRate && l.Video > 0
	})
	if l := station.limit.Load(); l != nil && l.Voice != 0 {
		t.Errorf("the station told %+v, want no voice limit: the agent's link is good", *l)
	}
}
