package recordings

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// TestFrameBuilderMatchesPion feeds the same packets to the frame builder
// and to pion's sample builder, which it replaces. Without loss it expects
// the same frames: data, timestamp, duration and the count of packets lost
// before. With loss it expects every frame pion makes, and the frames pion
// drops after an incomplete one besides (TestFrameBuilderWeakUplinks holds
// those to what was sent).
func TestFrameBuilderMatchesPion(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	full := stream{start: start, length: 20 * time.Second, keyEvery: 50}.arrivals()
	cases := []struct {
		name           string
		arrivals       []arrival
		jumpAfter, gap int // video packets: skip gap sequence numbers after jumpAfter
		lossy          bool
	}{
		{name: "in order", arrivals: full},
		{name: "reordered", arrivals: disorder(full, 1, 4, 0)},
		{name: "lossy", arrivals: disorder(full, 2, 1000, 5), lossy: true},
		{name: "lossy and reordered", arrivals: disorder(full, 3, 3, 10), lossy: true},
		{name: "heavy loss", arrivals: disorder(full, 4, 2, 40), lossy: true},
		{name: "long outage", arrivals: disorder(full, 5, 6, 2), jumpAfter: 300, gap: 200, lossy: true},
		{name: "outage past the ring", arrivals: disorder(full, 6, 6, 2), jumpAfter: 500, gap: 5000, lossy: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, video := range []bool{true, false} {
				var pkts []*rtp.Packet
				for _, a := range tc.arrivals {
					if a.pkt != nil && a.video == video {
						pkts = append(pkts, a.pkt)
					}
				}
				if video && tc.gap > 0 {
					pkts = withGap(pkts, tc.jumpAfter, tc.gap)
				}
				ours, theirs := ourFrames(video, pkts), pionFrames(video, pkts)
				if tc.lossy {
					theirs = keepFramesOf(t, video, ours, theirs)
				}
				compareFrames(t, video, ours, theirs)
			}
		})
	}
}

// withGap moves the sequence numbers after the first n packets on by gap,
// as after a long outage whose packets never came.
func withGap(pkts []*rtp.Packet, n, gap int) []*rtp.Packet {
	out := make([]*rtp.Packet, len(pkts))
	for i, p := range pkts {
		c := *p
		if i >= n {
			c.SequenceNumber += uint16(gap)
		}
		out[i] = &c
	}
	return out
}

func depacketizer(video bool) (rtp.Depacketizer, uint16, uint32) {
	if video {
		return &codecs.VP8Packet{}, 256, 90000
	}
	return &codecs.OpusPacket{}, 10, 48000
}

func ourFrames(video bool, pkts []*rtp.Packet) []frame {
	d, maxLate, rate := depacketizer(video)
	b := newFrameBuilder(maxLate, d, rate, time.Second, nil)
	var out []frame
	pop := func() {
		for f, ok := b.pop(); ok; f, ok = b.pop() {
			out = append(out, f)
		}
	}
	for _, p := range pkts {
		c := *p
		b.push(&c)
		pop()
	}
	b.flush()
	pop()
	return out
}

func pionFrames(video bool, pkts []*rtp.Packet) []frame {
	d, maxLate, rate := depacketizer(video)
	b := samplebuilder.New(maxLate, d, rate, samplebuilder.WithMaxTimeDelay(time.Second))
	var out []frame
	pop := func() {
		for s := b.Pop(); s != nil; s = b.Pop() {
			out = append(out, frame{data: s.Data, ts: s.PacketTimestamp, dur: s.Duration, dropped: s.PrevDroppedPackets})
		}
	}
	for _, p := range pkts {
		c := *p
		b.Push(&c)
		pop()
	}
	b.Flush()
	pop()
	return out
}

// keepFramesOf checks that ours has every frame of theirs, never counting a
// loss before one where pion counted none, and returns theirs with our extra
// frames put in and the counts of loss set to ours.
func keepFramesOf(t *testing.T, video bool, ours, theirs []frame) []frame {
	t.Helper()
	var out []frame
	for _, o := range ours {
		if len(theirs) > 0 && int32(theirs[0].ts-o.ts) < 0 {
			break
		}
		if len(theirs) == 0 || theirs[0].ts != o.ts {
			out = append(out, o)
			continue
		}
		p := theirs[0]
		theirs = theirs[1:]
		if o.dropped > 0 && p.dropped == 0 {
			t.Fatalf("video %v, ts %d: %d dropped before, pion none", video, o.ts, o.dropped)
		}
		p.dropped = o.dropped
		out = append(out, p)
	}
	if len(theirs) > 0 {
		t.Fatalf("video %v: pion's frame at ts %d is missing", video, theirs[0].ts)
	}
	return out
}

func compareFrames(t *testing.T, video bool, ours, theirs []frame) {
	t.Helper()
	if len(ours) != len(theirs) {
		t.Fatalf("video %v: %d frames, pion %d", video, len(ours), len(theirs))
	}
	if len(ours) < 100 {
		t.Fatalf("video %v: only %d frames", video, len(ours))
	}
	for i := range ours {
		o, p := ours[i], theirs[i]
		// pion gives a zero duration to a frame whose next packet's
		// sequence number wrapped around; ours does not.
		sameDur := o.dur == p.dur || p.dur == 0
		if !bytes.Equal(o.data, p.data) || o.ts != p.ts || !sameDur || o.dropped != p.dropped {
			t.Fatalf("video %v, frame %d: ts %d dur %v dropped %d (%d bytes); pion: ts %d dur %v dropped %d (%d bytes)",
				video, i, o.ts, o.dur, o.dropped, len(o.data), p.ts, p.dur, p.dropped, len(p.data))
		}
	}
}

// TestFrameBuilderPassesPadding feeds video with runs of padding after some
// frames, as a publisher without RTX probes its link: every frame comes out
// as without them, and what is dropped is all counted as padding, also when
// all but the last padding packet of each run were lost on the way (the last
// one, followed by the next frame, cannot be told from that frame's loss).
func TestFrameBuilderPassesPadding(t *testing.T) {
	full := stream{start: time.Unix(1_700_000_000, 0), length: 10 * time.Second, keyEvery: 50}.arrivals()
	videoOf := func(arrivals []arrival) []*rtp.Packet {
		var pkts []*rtp.Packet
		for _, a := range arrivals {
			if a.video && a.pkt != nil {
				pkts = append(pkts, a.pkt)
			}
		}
		return pkts
	}
	want := ourFrames(true, videoOf(full))
	withoutPadding := func(pkts []*rtp.Packet, lose func(i int) bool) []*rtp.Packet {
		var out []*rtp.Packet
		run := 0
		for _, p := range pkts {
			if len(p.Payload) > 0 {
				run = 0
			} else if run++; lose(run) {
				continue
			}
			out = append(out, p)
		}
		return out
	}
	cases := []struct {
		run  int
		lose func(i int) bool // of each run's padding packets, counted from 1
	}{
		{1, func(int) bool { return false }},
		{4, func(int) bool { return false }},
		{4, func(i int) bool { return i < 4 }},
		{4, func(i int) bool { return i == 2 }},
	}
	for _, c := range cases {
		n := c.run
		arrivals, added := padded(full, n)
		got := ourFrames(true, withoutPadding(videoOf(arrivals), c.lose))
		if len(got) != len(want) {
			t.Fatalf("%d padding packets a run: %d frames, want %d", n, len(got), len(want))
		}
		padding := 0
		for i, f := range got {
			if !bytes.Equal(f.data, want[i].data) || f.ts != want[i].ts || f.dropped != f.padding {
				t.Fatalf("%d padding packets a run, frame %d: ts %d, %d bytes, dropped %d of which padding %d; want ts %d, %d bytes",
					n, i, f.ts, len(f.data), f.dropped, f.padding, want[i].ts, len(want[i].data))
			}
			padding += int(f.padding)
		}
		// The stream's 250 frames end with a run, which no frame follows.
		if padding != added-n {
			t.Errorf("%d padding packets a run: %d counted as padding, %d sent before a frame", n, padding, added-n)
		}
	}
}

// weakUplink is a publisher's video as a weak uplink delivers it: frames of
// one to four packets, runs of padding after some of them (a sender without
// RTX probing its link), bursts of loss, packets a few places out of order
// and now and then twice.
type weakUplink struct {
	pkts    []*rtp.Packet  // as they arrive
	frameOf map[uint16]int // sequence number → frame; padding is absent
	frames  [][]byte       // each frame's data
	whole   []bool         // every packet of the frame arrived
	lost    map[uint16]bool
	runs    [][]uint16 // the padding after each frame
}

func newWeakUplink(seed int64, frames int) weakUplink {
	r := rand.New(rand.NewSource(seed))
	u := weakUplink{frameOf: map[uint16]int{}, lost: map[uint16]bool{}}
	pay := &codecs.VP8Payloader{EnablePictureID: true}
	seq := uint16(r.Intn(1 << 16))
	var sent []*rtp.Packet
	for i := range frames {
		data := make([]byte, 20+r.Intn(900))
		binary.BigEndian.PutUint32(data, uint32(i))
		u.frames = append(u.frames, data)
		ts := uint32(videoTS0 + i*3600)
		payloads := pay.Payload(300, data)
		for k, p := range payloads {
			u.frameOf[seq] = i
			sent = append(sent, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, SSRC: 2,
				Timestamp: ts, Marker: k == len(payloads)-1}, Payload: p})
			seq++
		}
		u.runs = append(u.runs, nil)
		for range padRun(r) {
			u.runs[i] = append(u.runs[i], seq)
			sent = append(sent, &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, SSRC: 2,
				Timestamp: ts, Padding: true, PaddingSize: 255}})
			seq++
		}
	}
	u.pkts = u.deliver(r, sent)
	return u
}

func padRun(r *rand.Rand) int {
	if r.Intn(3) != 0 {
		return 0
	}
	return 1 + r.Intn(6)
}

// deliver loses packets in bursts (a Gilbert–Elliott chain), swaps
// neighbours and repeats a few, and notes which frames arrived whole.
func (u *weakUplink) deliver(r *rand.Rand, sent []*rtp.Packet) []*rtp.Packet {
	var out []*rtp.Packet
	bad := false
	for _, p := range sent {
		if bad = bad && r.Intn(3) != 0 || !bad && r.Intn(15) == 0; bad {
			u.lost[p.SequenceNumber] = true
			continue
		}
		out = append(out, p)
		if r.Intn(40) == 0 {
			c := *p
			out = append(out, &c)
		}
	}
	// The first packets come in order: a builder cannot wait for a packet
	// before the first it hears of.
	for i := 8; i < len(out); i++ {
		if r.Intn(4) == 0 {
			j := i - 1 - r.Intn(3)
			out[i], out[j] = out[j], out[i]
		}
	}
	u.whole = make([]bool, len(u.frames))
	for i := range u.whole {
		u.whole[i] = true
	}
	for seq := range u.lost {
		if f, ok := u.frameOf[seq]; ok {
			u.whole[f] = false
		}
	}
	return out
}

// untold reports whether the padding before frame i lost its last packet,
// which no padding after it tells apart from a frame lost whole.
func (u weakUplink) untold(i int) bool {
	run := u.runs[i-1]
	return len(run) > 0 && u.lost[run[len(run)-1]]
}

// TestFrameBuilderWeakUplinks feeds random weak-uplink streams: every frame
// that arrived whole comes out once and in order, none that did not; a
// frame after a lost one always counts a loss that is not padding, so the
// recording asks for the keyframe its decoder needs, and one after lost
// padding alone counts none.
func TestFrameBuilderWeakUplinks(t *testing.T) {
	for seed := int64(1); seed <= 300; seed++ {
		u := newWeakUplink(seed, 200)
		start := time.Now()
		got := ourFrames(true, u.pkts)
		// A flush that spins is a recording that never finishes; this
		// stream takes microseconds.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("seed %d: %v to build %d packets", seed, d, len(u.pkts))
		}
		u.check(t, seed, got)
	}
}

func (u weakUplink) check(t *testing.T, seed int64, got []frame) {
	t.Helper()
	next := 0 // the frame expected after the last one out
	for _, f := range got {
		i := int(binary.BigEndian.Uint32(f.data))
		if i < next || !bytes.Equal(f.data, u.frames[i]) {
			t.Fatalf("seed %d: frame %d (%d bytes) out after frame %d", seed, i, len(f.data), next-1)
		}
		for k := next; k < i; k++ {
			if u.whole[k] {
				t.Fatalf("seed %d: frame %d arrived whole and never came out", seed, k)
			}
		}
		if !u.whole[i] {
			t.Fatalf("seed %d: frame %d came out without all its packets", seed, i)
		}
		if i > next && next > 0 && f.dropped <= f.padding {
			t.Fatalf("seed %d: frame %d after %d lost: dropped %d, of which padding %d", seed, i, i-next, f.dropped, f.padding)
		}
		if i == next && next > 0 && !u.untold(i) && f.dropped != f.padding {
			t.Fatalf("seed %d: frame %d after only padding lost: dropped %d, of which padding %d", seed, i, f.dropped, f.padding)
		}
		next = i + 1
	}
	for k := next; k < len(u.frames); k++ {
		if u.whole[k] {
			t.Fatalf("seed %d: frame %d of %d arrived whole and never came out", seed, k, len(u.frames))
		}
	}
}
