package media

import (
	"testing"
	"time"
)

func TestVideoGatePausesProbesAndResumes(t *testing.T) {
	cfg := AdaptConfig{Tick: time.Second, PauseBelow: 150, Hold: 2, ProbeAfter: 4 * time.Second, ProbeMax: 10 * time.Second, ProbeFor: 2 * time.Second}.withDefaults()
	g := &videoGate{cfg: cfg}
	t0 := time.Unix(0, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	steps := []struct {
		sec      int
		estimate int
		want     gateAction
		off      bool
	}{
		{0, 500, gateNone, false},
		{1, 100, gateNone, false}, // one low tick is not enough
		{2, 500, gateNone, false},
		{3, 100, gateNone, false},
		{4, 90, gatePause, true},
		{5, 400, gateNone, true}, // paused: waits for its try
		{8, 60, gateProbe, false},
		{9, 100, gateProbeFails, true}, // the link still cannot carry video
		{16, 60, gateNone, true},       // backoff doubled to 8 s
		{17, 400, gateProbe, false},
		{18, 300, gateNone, false},
		{19, 300, gateResume, false},
		{20, 300, gateNone, false},
	}
	for _, s := range steps {
		if got := g.step(at(s.sec), s.estimate); got != s.want || g.videoOff() != s.off {
			t.Fatalf("at %d s with %d: action %d, video off %v; want %d, %v", s.sec, s.estimate, got, g.videoOff(), s.want, s.off)
		}
	}
}
