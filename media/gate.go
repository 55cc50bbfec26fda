package media

import "time"

// AdaptConfig tunes downlink adaptation. Zero fields take the defaults.
type AdaptConfig struct {
	Tick       time.Duration // how often estimates are read
	PauseBelow int           // bit/s: below this, video to the subscriber pauses
	Hold       int           // ticks below PauseBelow before video pauses
	ProbeAfter time.Duration // first try to resume video after this long paused
	ProbeMax   time.Duration // tries back off (doubling) up to this
	ProbeFor   time.Duration // a try must keep the estimate up this long
	ProbeStart int           // bit/s a try's fresh estimate starts from
}

// Default adaptation: video needs ~100 kbit/s at 320×180 plus ~50 kbit/s of Opus
// with FEC and packet overhead, so below 150 kbit/s only audio goes through.
var defaultAdapt = AdaptConfig{
	Tick: 500 * time.Millisecond, PauseBelow: 150_000, Hold: 2,
	ProbeAfter: 4 * time.Second, ProbeMax: 30 * time.Second, ProbeFor: 3 * time.Second,
	ProbeStart: 400_000,
}

func (c AdaptConfig) withDefaults() AdaptConfig {
	d := defaultAdapt
	if c.Tick > 0 {
		d.Tick = c.Tick
	}
	if c.PauseBelow > 0 {
		d.PauseBelow = c.PauseBelow
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

// videoGate decides, from one subscriber's downlink estimate, whether video goes
// to it. Paused, it tries video again after a while, backing off after each
// failed try, so the link's recovery is found without anyone pressing a button.
type videoGate struct {
	cfg      AdaptConfig
	low      int // consecutive ticks below PauseBelow
	paused   bool
	probing  bool
	backoff  time.Duration
	probeAt  time.Time
	probeEnd time.Time
}

func (g *videoGate) step(now time.Time, estimate int) gateAction {
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
	if estimate >= g.cfg.PauseBelow {
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
