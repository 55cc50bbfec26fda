package linkemu

import (
	"testing"
	"time"
)

// feed offers n packets of size bytes, one every gap, from t0 and returns the shaper.
func feed(d Direction, n, size int, gap time.Duration) *shaper {
	t0 := time.Unix(1000, 0)
	s := newShaper(d, t0, 7)
	for i := range n {
		s.admit(t0.Add(time.Duration(i)*gap), size)
	}
	return s
}

func TestLossFractionWithinBounds(t *testing.T) {
	cases := []struct {
		name     string
		dir      Direction
		min, max float64
	}{
		{"none", Direction{}, 0, 0},
		{"random 1%", Direction{Loss: 0.01}, 0.006, 0.014},
		{"random 20%", Direction{Loss: 0.20}, 0.18, 0.22},
		{"bursty 5%", Profiles["island-weak"].Down, 0.035, 0.065},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.dir.RateBps = 0 // loss only: no queue drops
			st := feed(c.dir, 20000, 200, time.Millisecond).snapshot()
			got := float64(st.DroppedLoss) / float64(st.Packets)
			if got < c.min || got > c.max {
				t.Fatalf("lost %.4f of %d packets, want %.3f..%.3f", got, st.Packets, c.min, c.max)
			}
			if st.DroppedQueue+st.DroppedOutage != 0 || st.Delivered+st.DroppedLoss != st.Packets {
				t.Fatalf("counts do not add up: %+v", st)
			}
		})
	}
}

func TestBurstyLossComesInBursts(t *testing.T) {
	d := Profiles["island-weak"].Down
	d.RateBps = 0
	t0 := time.Unix(1000, 0)
	s := newShaper(d, t0, 3)
	runs, lost, prevLost := 0, 0, false
	for i := range 20000 {
		_, v := s.admit(t0.Add(time.Duration(i)*time.Millisecond), 200)
		isLost := v == DropLoss
		if isLost {
			lost++
			if !prevLost {
				runs++
			}
		}
		prevLost = isLost
	}
	if mean := float64(lost) / float64(runs); mean < 2 {
		t.Fatalf("mean loss burst %.2f packets, want ≥ 2 (Gilbert–Elliott bursts)", mean)
	}
	if want := d.Burst.MeanLoss(); want < 0.045 || want > 0.055 {
		t.Fatalf("island-weak mean loss %.3f, want 5%%", want)
	}
}

func TestQueueDropsOnlyWhenOverRate(t *testing.T) {
	const rate = 256 * kbit
	d := Direction{RateBps: rate}
	// 1000-byte packets: 32 per second fill 256 kbit/s exactly.
	under := feed(d, 300, 1000, 40*time.Millisecond).snapshot() // 200 kbit/s for 12 s
	if under.DroppedQueue != 0 || under.Delivered != 300 {
		t.Fatalf("under the rate: %+v, want all delivered", under)
	}
	over := feed(d, 640, 1000, 15625*time.Microsecond).snapshot() // 512 kbit/s for 10 s
	capacity := uint64(rate/8*10/1000) + uint64(d.queueBytes(rate)/1000) + 1
	if over.Delivered > capacity || over.Delivered < capacity*9/10 {
		t.Fatalf("over the rate delivered %d packets, want about the link's %d", over.Delivered, capacity)
	}
	if over.DroppedQueue != over.Packets-over.Delivered {
		t.Fatalf("over the rate: %+v, want every other packet dropped at the queue", over)
	}
}

func TestDeliveryKeepsOrderAndDelay(t *testing.T) {
	d := Direction{RateBps: 1000 * kbit, Delay: 150 * time.Millisecond, Jitter: 40 * time.Millisecond}
	t0 := time.Unix(1000, 0)
	s := newShaper(d, t0, 1)
	var last time.Time
	for i := range 500 {
		now := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		at, v := s.admit(now, 500)
		if v != Deliver {
			t.Fatalf("packet %d: verdict %d", i, v)
		}
		if at.Sub(now) < d.Delay || at.Before(last) {
			t.Fatalf("packet %d delivered %v after sending, before the previous one or under the delay", i, at.Sub(now))
		}
		last = at
	}
}

func TestScriptedOutageAndRateChange(t *testing.T) {
	d := Direction{Script: []Step{{At: time.Second, Outage: 2 * time.Second}, {At: 4 * time.Second, RateBps: 80 * kbit}}}
	t0 := time.Unix(1000, 0)
	s := newShaper(d, t0, 1)
	count := func(from, to time.Duration) (delivered, out int) {
		for at := from; at < to; at += 10 * time.Millisecond {
			switch _, v := s.admit(t0.Add(at), 1000); v {
			case Deliver:
				delivered++
			case DropOutage:
				out++
			}
		}
		return
	}
	if d, o := count(0, time.Second); d != 100 || o != 0 {
		t.Fatalf("before the outage: %d delivered, %d dropped", d, o)
	}
	if d, o := count(time.Second, 3*time.Second); d != 0 || o != 200 {
		t.Fatalf("during the outage: %d delivered, %d dropped; want nothing through", d, o)
	}
	if d, _ := count(3*time.Second, 4*time.Second); d != 100 {
		t.Fatalf("after the outage: %d delivered, want all 100", d)
	}
	// 80 kbit/s is 10 packets of 1000 bytes a second, plus the 3000-byte buffer.
	if d, _ := count(4*time.Second, 6*time.Second); d < 20 || d > 24 {
		t.Fatalf("after the rate change: %d delivered in 2 s, want about 20", d)
	}
}

func TestProfilesAsSpecified(t *testing.T) {
	cases := []struct {
		name     string
		up, down int
		rtt      time.Duration
		loss     float64
		outage   time.Duration
	}{
		{"island-4g", 512 * kbit, 1000 * kbit, 80 * time.Millisecond, 0.01, 0},
		{"island-weak", 256 * kbit, 256 * kbit, 300 * time.Millisecond, 0.05, 0},
		{"island-bad", 256 * kbit, 256 * kbit, 300 * time.Millisecond, 0.20, 0},
		{"outage-30s", 0, 0, 20 * time.Millisecond, 0, 30 * time.Second},
	}
	for _, c := range cases {
		p, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		loss := p.Down.Loss
		if p.Down.Burst != nil {
			loss = p.Down.Burst.MeanLoss()
		}
		var outage time.Duration
		for _, st := range p.Down.Script {
			outage += st.Outage
		}
		if p.Up.RateBps != c.up || p.Down.RateBps != c.down || p.Up.Delay+p.Down.Delay != c.rtt ||
			loss < c.loss*0.9 || loss > c.loss*1.1 || outage != c.outage {
			t.Errorf("%s: %+v", c.name, p)
		}
	}
	if _, err := Lookup("nope"); err == nil {
		t.Error("unknown profile accepted")
	}
}
