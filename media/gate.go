package media

import "time"

// AdaptConfig tunes downlink adaptation. Zero fields take the defaults.
type AdaptConfig struct {
	Tick       time.Duration // how often estimates are read
	PauseBelow int           // bit/s: video may pause only with the estimate below this
	PauseLoss  float64       // and this share of packets reported lost
	Hold       int           // ticks both hold before video pauses
	ProbeAfter time.Duration // first try to resume video after this long paused
	ProbeMax   time.Duration // tries back off (doubling) up to this
	ProbeFor   time.Duration // a try must keep the estimate up this long
	ProbeStart int           // bit/s a try's fresh estimate starts from
}

// Default adaptation: video needs ~100 kbit/s at 320×180 plus ~40 kbit/s of Opus
// with FEC and packet overhead, so below 140 kbit/s only audio goes through —
// but only when the link also loses a tenth of what it is sent for 3 s. A weak
// link that merely loses a few packets in bursts (island-weak: 5 %) keeps its
// video, capped (see capPublisher): a frozen picture is worse than a small one.
// Tries come every 4 s at most, so video is back within seconds of a recovery.
var defaultAdapt = AdaptConfig{
	Tick: 500 * time.Millisecond, PauseBelow: 140_000, PauseLoss: 0.10, Hold: 6,
	ProbeAfter: 2 * time.Second, ProbeMax: 4 * time.Second, ProbeFor: 2 * time.Second,
	ProbeStart: 250_000,
}

func (c AdaptConfig) withDefaults() AdaptConfig {
	d := defaultAdapt
	if c.Tick > 0 {
		d.Tick = c.Tick
	}
	if c.PauseBelow > 0 {
		d.PauseBelow = c.PauseBelow
	}
	if c.PauseLoss > 0 {
		d.PauseLoss = c.PauseLoss
	}
	if c.Hold > 0 {
		d.Hold = c.Hold
	}
	if c.ProbeAfter > 0 {
		d.ProbeAfter = c.ProbeAfter
	}
	if c.ProbeMax > 0 {
		d.ProbeMax = c.ProbeMax
	}
	if c.ProbeFor > 0 {
		d.ProbeFor = c.ProbeFor
	}
	if c.ProbeStart > 0 {
		d.ProbeStart = c.ProbeStart
	}
	return d
}

// gateAction is what a videoGate decided at one tick.
type gateAction int

const (
	gateNone       gateAction = iota
	gatePause                 // stop video to the subscriber, tell both sides
	gateProbe                 // send video again, on trial, with a fresh estimate
	gateProbeFails            // the trial pushed the estimate down: stop video again
	gateResume                // the trial held: tell both sides video is back
)

// videoGate decides, from one subscriber's downlink estimate and the loss its
// feedback reports, whether video goes to it. Paused, it tries video again after
// a while, backing off after each failed try, so the link's recovery is found
// without anyone pressing a button.
type videoGate struct {
	cfg      AdaptConfig
	win      lossWindow
	low      int // consecutive ticks with too low an estimate and too much loss
	paused   bool
	probing  bool
	backoff  time.Duration
	probeAt  time.Time
	probeEnd time.Time
}

// gateInput is what the gate reads at one tick.
type gateInput struct {
	estimate  int     // bit/s
	loss      float64 // share of packets reported lost since the last tick
	lossKnown bool    // false: no feedback came since the last tick
}

func (g *videoGate) step(now time.Time, in gateInput) gateAction {
	estimate := in.estimate
	switch {
	case g.probing:
		if estimate < g.cfg.PauseBelow {
			g.probing = false
			g.backoff = min(2*g.backoff, g.cfg.ProbeMax)
			g.probeAt = now.Add(g.backoff)
			return gateProbeFails
		}
		if now.Before(g.probeEnd) {
			return gateNone
		}
		g.probing, g.paused, g.low = false, false, 0
		return gateResume
	case g.paused:
		if now.Before(g.probeAt) {
			return gateNone
		}
		g.probing = true
		g.probeEnd = now.Add(g.cfg.ProbeFor)
		return gateProbe
	}
	switch {
	case !in.lossKnown && estimate < g.cfg.PauseBelow:
		return gateNone // no feedback: nothing to tell, either way
	case !in.lossKnown || estimate >= g.cfg.PauseBelow || in.loss < g.cfg.PauseLoss:
		g.low = 0
		return gateNone
	}
	g.low++
	if g.low < g.cfg.Hold {
		return gateNone
	}
	g.paused = true
	g.backoff = g.cfg.ProbeAfter
	g.probeAt = now.Add(g.backoff)
	return gatePause
}

// videoOff reports whether video is held back from the subscriber now.
func (g *videoGate) videoOff() bool { return g.paused && !g.probing }
