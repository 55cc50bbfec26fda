package media

import (
	"testing"
	"time"
)

// TestVideoGate walks a gate through a call: loss or a low estimate alone keep
// video on; both for Hold ticks pause it; tries come after ProbeAfter, then
// every ProbeMax; a try that holds resumes video.
func TestVideoGate(t *testing.T) {
	cfg := AdaptConfig{Tick: time.Second, PauseBelow: 150, PauseLoss: 0.1, Hold: 3,
		ProbeAfter: 2 * time.Second, ProbeMax: 4 * time.Second, ProbeFor: 2 * time.Second}.withDefaults()
	g := &videoGate{cfg: cfg}
	t0 := time.Unix(0, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	lossy := func(est int) gateInput { return gateInput{estimate: est, loss: 0.3, lossKnown: true} }
	clean := func(est int) gateInput { return gateInput{estimate: est, loss: 0.05, lossKnown: true} }
	steps := []struct {
		sec  int
		in   gateInput
		want gateAction
		off  bool
	}{
		{0, clean(500), gateNone, false},
		{1, clean(100), gateNone, false}, // low estimate, 5 % loss: capped, not paused
		{2, clean(100), gateNone, false},
		{3, clean(100), gateNone, false},
		{4, lossy(500), gateNone, false}, // lossy, but the estimate carries video
		{5, lossy(100), gateNone, false},
		{6, lossy(100), gateNone, false},
		{7, clean(100), gateNone, false}, // the run of bad ticks breaks
		{8, lossy(100), gateNone, false},
		{9, gateInput{estimate: 100}, gateNone, false}, // no feedback: no change
		{10, lossy(100), gateNone, false},
		{11, lossy(90), gatePause, true},
		{12, clean(400), gateNone, true}, // paused: waits for its try
		{13, lossy(60), gateProbe, false},
		{14, lossy(100), gateProbeFails, true}, // the link still cannot carry video
		{17, lossy(60), gateNone, true},        // the next try is 4 s later
		{18, clean(400), gateProbe, false},
		{19, clean(300), gateNone, false},
		{20, clean(300), gateResume, false},
		{21, clean(300), gateNone, false},
	}
	for _, s := range steps {
		if got := g.step(at(s.sec), s.in); got != s.want || g.videoOff() != s.off {
			t.Fatalf("at %d s with %+v: action %d, video off %v; want %d, %v", s.sec, s.in, got, g.videoOff(), s.want, s.off)
		}
	}
}

// TestVideoGateTriesEveryProbeMaxAfterFailures checks that failed tries do not
// back off past ProbeMax, so a recovered link gets video within one period.
func TestVideoGateTriesEveryProbeMaxAfterFailures(t *testing.T) {
	g := &videoGate{cfg: defaultAdapt}
	now := time.Unix(0, 0)
	for g.step(now, gateInput{estimate: 50_000, loss: 0.5, lossKnown: true}) != gatePause {
		now = now.Add(defaultAdapt.Tick)
	}
	var tries []time.Time
	for range 200 {
		now = now.Add(defaultAdapt.Tick)
		if g.step(now, gateInput{estimate: 50_000, loss: 0.5, lossKnown: true}) == gateProbe {
			tries = append(tries, now)
		}
	}
	if len(tries) < 10 {
		t.Fatalf("%d tries in 100 s paused", len(tries))
	}
	for i := 2; i < len(tries); i++ {
		if gap := tries[i].Sub(tries[i-1]); gap > defaultAdapt.ProbeMax+defaultAdapt.Tick {
			t.Fatalf("try %d came %v after the one before, want at most %v", i, gap, defaultAdapt.ProbeMax+defaultAdapt.Tick)
		}
	}
}
