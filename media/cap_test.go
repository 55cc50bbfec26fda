package media

import (
	"testing"
	"time"
)

// TestLowerCapWaitsForASenderThatUsesItsCap feeds a publisher's cap ticks of
// what its receivers take and what it sends: a lower cap reaches a sender using
// its cap or sending more than the receivers take, not a starved one; a higher
// cap and a pause apply at once.
func TestLowerCapWaitsForASenderThatUsesItsCap(t *testing.T) {
	var c publisherCap
	now := time.Unix(0, 0)
	var sent uint64
	tick := func(want int, sendingBps int, paused bool) int {
		now = now.Add(500 * time.Millisecond)
		sent += uint64(sendingBps / 8 / 2)
		return c.next(now, want, paused, published{video: sent})
	}
	steps := []struct {
		name    string
		want    int
		sending int
		paused  bool
		cap     int
	}{
		{"first cap", 500_000, 0, false, 500_000},
		{"starved sender keeps its cap", 300_000, 100_000, false, 500_000},
		{"still starved", 200_000, 100_000, false, 500_000},
		{"higher cap at once", 600_000, 100_000, false, 600_000},
		{"pause at once", minVideoCap, 100_000, true, minVideoCap},
		{"resume", 400_000, 50_000, false, 400_000},
		{"sender ramps up", 400_000, 380_000, false, 400_000},
		{"sender uses its cap: lower", 250_000, 380_000, false, 250_000},
		{"sends more than taken: lower", 200_000, 240_000, false, 200_000},
	}
	for _, s := range steps {
		if got := tick(s.want, s.sending, s.paused); got != s.cap {
			t.Fatalf("%s: cap %d, want %d", s.name, got, s.cap)
		}
	}
}

// TestPublisherTotalCarriesItsAudio: what a publisher's browser is told it may
// send in all is its video cap and the audio it sends, as the audio's rate
// changes; a browser applies that figure to its audio too.
func TestPublisherTotalCarriesItsAudio(t *testing.T) {
	var c publisherCap
	now := time.Unix(0, 0)
	var sent published
	steps := []struct {
		audioBps int
		total    int
	}{
		{0, 200_000},      // no rate known yet: the cap alone
		{80_000, 280_000}, // the first rate measured is taken as it is
		{80_000, 280_000},
		{40_000, 260_000}, // smoothed towards a quieter voice
		{40_000, 250_000},
	}
	for i, s := range steps {
		now = now.Add(500 * time.Millisecond)
		sent.video += 200_000 / 8 / 2
		sent.audioWire += uint64(s.audioBps / 8 / 2)
		c.next(now, 200_000, false, sent)
		if got := c.total(); got != s.total {
			t.Fatalf("tick %d (audio %d bit/s): total %d, want %d", i, s.audioBps, got, s.total)
		}
	}
}

// TestVideoShareKeepsFECInsideTheFloor: a receiver's video cap leaves its link
// room for resends, audio and FEC, and at the floor the video and its FEC
// together take no more than the floor, so that a thin link is not overrun by
// the floor itself.
func TestVideoShareKeepsFECInsideTheFloor(t *testing.T) {
	cases := []struct {
		name       string
		estimate   int
		redundancy int
		fec        float64
		want       int
	}{
		{"good link", 1_000_000, 0, 0, 820_000},
		{"audio redundancy", 1_000_000, 20_000, 0, 800_000},
		{"FEC shares the rest", 1_000_000, 0, 0.25, 656_000},
		{"thin link: the floor", 200_000, 0, 0, videoCapFloor},
		{"thin link with FEC: the floor in all", 200_000, 0, 0.25, 112_000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := videoShare(c.estimate, c.redundancy, c.fec)
			if got != c.want {
				t.Fatalf("videoShare(%d, %d, %.2f) = %d, want %d", c.estimate, c.redundancy, c.fec, got, c.want)
			}
			if withFEC := float64(got) * (1 + c.fec); withFEC < videoCapFloor-1 {
				t.Fatalf("video and FEC %.0f bit/s, under the floor %d", withFEC, videoCapFloor)
			}
		})
	}
}
