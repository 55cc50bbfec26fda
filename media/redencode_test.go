package media

import (
	"bytes"
	"fmt"
	"testing"

	"cloudwindow/client"
)

// opusFrame is a recognisable frame of size bytes for frame number n.
func opusFrame(n, size int) []byte {
	return bytes.Repeat([]byte{byte(n)}, size)
}

// TestREDEncoderRoundTrip: what the encoder builds, split as a receiver does,
// gives back the primary frame and the k frames before it, oldest first, each
// at its own timestamp.
func TestREDEncoderRoundTrip(t *testing.T) {
	for k := 0; k <= maxRedundancy; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			e := newREDEncoder()
			for n := 0; n < 6; n++ {
				e.push(uint32(n*960), opusFrame(n, 60+n))
			}
			payload := e.encode(6*960, 111, opusFrame(6, 66), k)
			redundant, primary, err := client.SplitRED(payload)
			if err != nil {
				t.Fatalf("split: %v", err)
			}
			if primary.PayloadType != 111 || !bytes.Equal(primary.Payload, opusFrame(6, 66)) {
				t.Errorf("primary: type %d, %d bytes; want the frame sent", primary.PayloadType, len(primary.Payload))
			}
			if len(redundant) != k {
				t.Fatalf("%d redundant frames, want %d", len(redundant), k)
			}
			for i, b := range redundant {
				n := 6 - k + i
				if b.PayloadType != 111 || b.TimestampOffset != uint32((6-n)*960) || !bytes.Equal(b.Payload, opusFrame(n, 60+n)) {
					t.Errorf("redundant %d: type %d, offset %d, %d bytes; want frame %d", i, b.PayloadType, b.TimestampOffset, len(b.Payload), n)
				}
			}
		})
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
			payload := e.encode(tc.at, 111, opusFrame(9, tc.size), maxRedundancy)
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
	first := bytes.Clone(e.encode(960, 111, opusFrame(1, 50), 1))
	if again := e.encode(960, 111, opusFrame(1, 50), 1); !bytes.Equal(first, again) {
		t.Fatal("the same packet encoded twice differs")
	}
	e.push(960, opusFrame(1, 50))
	next := e.encode(1920, 111, opusFrame(2, 50), 1)
	_, primary, err := client.SplitRED(next)
	if err != nil || !bytes.Equal(primary.Payload, opusFrame(2, 50)) {
		t.Fatalf("the next packet carries the previous primary (err %v)", err)
	}
}

func TestRedundancyFollowsLoss(t *testing.T) {
	tests := []struct {
		loss  float64
		limit int
		want  int
	}{
		{0, 3, 0},
		{0.001, 3, 0},
		{0.01, 3, 1},
		{0.04, 3, 1},
		{0.05, 3, 2},
		{0.1, 3, 2},
		{0.2, 3, 3},
		{0.5, 3, 3},
		{0.2, 2, 2},
		{0.2, 0, 0},
	}
	for _, tc := range tests {
		if got := redundancyFor(tc.loss, tc.limit); got != tc.want {
			t.Errorf("redundancyFor(%v, limit %d) = %d, want %d", tc.loss, tc.limit, got, tc.want)
		}
	}
}

// TestRedundancyComesUpAtOnceAndDownSlowly: one lossy report raises the
// redundancy; a clean report after it lowers it only step by step.
func TestRedundancyComesUpAtOnceAndDownSlowly(t *testing.T) {
	var l redLoss
	if got := l.redundancy(3, 80, 0); got != redUnknownLoss {
		t.Errorf("before any report: %d redundant frames, want %d", got, redUnknownLoss)
	}
	l.observe(51) // 20 %
	if got := l.redundancy(3, 80, 0); got != 3 {
		t.Errorf("after a report of 20 %% loss: %d, want 3", got)
	}
	l.observe(0)
	if got := l.redundancy(3, 80, 0); got != 3 {
		t.Errorf("after one clean report: %d, want still 3 (15 %% smoothed)", got)
	}
	for range 30 {
		l.observe(0)
	}
	if got := l.redundancy(3, 80, 0); got != 0 {
		t.Errorf("after many clean reports: %d, want 0", got)
	}
}

// TestRedundancyStaysWithinTheEstimate: audio with its redundancy never asks
// for more than the receiver's downlink estimate.
func TestRedundancyStaysWithinTheEstimate(t *testing.T) {
	var l redLoss
	l.observe(51) // 20 %: 3 wanted
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
		got := l.redundancy(3, 80, tc.estimate)
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
	redundant, _, err := client.SplitRED(e.encode(2880, 111, opusFrame(3, 40), 3))
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
