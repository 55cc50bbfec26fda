package recordings

import (
	"bytes"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// TestFrameBuilderMatchesPion feeds the same packets to the frame builder
// and to pion's sample builder, which it replaces, and expects the same
// frames: data, timestamp, duration and the count of packets lost before.
func TestFrameBuilderMatchesPion(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	full := stream{start: start, length: 20 * time.Second, keyEvery: 50}.arrivals()
	cases := []struct {
		name           string
		arrivals       []arrival
		jumpAfter, gap int // video packets: skip gap sequence numbers after jumpAfter
	}{
		{name: "in order", arrivals: full},
		{name: "reordered", arrivals: disorder(full, 1, 4, 0)},
		{name: "lossy", arrivals: disorder(full, 2, 1000, 5)},
		{name: "lossy and reordered", arrivals: disorder(full, 3, 3, 10)},
		{name: "heavy loss", arrivals: disorder(full, 4, 2, 40)},
		{name: "long outage", arrivals: disorder(full, 5, 6, 2), jumpAfter: 300, gap: 200},
		{name: "outage past the ring", arrivals: disorder(full, 6, 6, 2), jumpAfter: 500, gap: 5000},
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
// as without them, and what is dropped is all counted as padding.
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
	for _, n := range []int{1, 4} {
		arrivals, added := padded(full, n)
		got := ourFrames(true, videoOf(arrivals))
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
