package linkemu

import (
	"fmt"
	"sort"
	"time"
)

// Direction is what one direction of a link does to the traffic crossing it.
type Direction struct {
	RateBps    int           // bottleneck rate in bit/s; 0 = unlimited
	QueueBytes int           // bottleneck buffer; 0 = 200 ms at RateBps
	Delay      time.Duration // one-way propagation delay
	Jitter     time.Duration // extra delay drawn uniformly from [0, Jitter)
	Loss       float64       // independent random loss, 0..1
	Burst      *GilbertElliott
	Script     []Step // outages and rate changes, relative to the link's start
}

// GilbertElliott is a two-state loss model: losses come in bursts while the link
// is in its bad state, as on a fading radio link.
type GilbertElliott struct {
	GoodToBad float64 // per-packet probability of entering the bad state
	BadToGood float64 // per-packet probability of leaving it
	LossGood  float64 // loss probability in the good state
	LossBad   float64 // loss probability in the bad state
}

// MeanLoss is the long-run loss fraction of the model.
func (g GilbertElliott) MeanLoss() float64 {
	if g.GoodToBad+g.BadToGood == 0 {
		return g.LossGood
	}
	bad := g.GoodToBad / (g.GoodToBad + g.BadToGood)
	return bad*g.LossBad + (1-bad)*g.LossGood
}

// Step changes the link at a point in time: an outage of the given length, or a
// new rate (RateBps > 0), or both.
type Step struct {
	At      time.Duration
	Outage  time.Duration
	RateBps int
}

// Profile is a named pair of directions. Up is client → server (towards the relay
// target), Down is server → client.
type Profile struct {
	Name     string
	Up, Down Direction
	// BlockUDP drops every datagram, as a firewall that lets only TCP out
	// does: calls must fall back to ICE-TCP or TURN over TCP.
	BlockUDP bool
}

func (d Direction) queueBytes(rate int) int {
	if d.QueueBytes > 0 {
		return d.QueueBytes
	}
	return max(rate/8/5, 3000) // 200 ms of the bottleneck rate
}

const kbit = 1000

// Profiles are the named link conditions of remote stations. RTTs are split evenly
// between the two directions.
var Profiles = map[string]Profile{
	"good": {Name: "good", Up: Direction{Delay: 10 * time.Millisecond}, Down: Direction{Delay: 10 * time.Millisecond}},
	"island-4g": {Name: "island-4g",
		Up:   Direction{RateBps: 512 * kbit, Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.01},
		Down: Direction{RateBps: 1000 * kbit, Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond, Loss: 0.01}},
	"island-weak": {Name: "island-weak", Up: weak(), Down: weak()},
	"island-bad": {Name: "island-bad",
		Up:   Direction{RateBps: 256 * kbit, Delay: 150 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.20},
		Down: Direction{RateBps: 256 * kbit, Delay: 150 * time.Millisecond, Jitter: 20 * time.Millisecond, Loss: 0.20}},
	"outage-30s": {Name: "outage-30s", Up: outage(), Down: outage()},
	"udp-blocked": {Name: "udp-blocked", BlockUDP: true,
		Up: Direction{Delay: 10 * time.Millisecond}, Down: Direction{Delay: 10 * time.Millisecond}},
}

// weak is 256 kbit/s, 150 ms one way, 5 % loss in bursts (mean burst of ~3 packets).
func weak() Direction {
	return Direction{RateBps: 256 * kbit, Delay: 150 * time.Millisecond, Jitter: 20 * time.Millisecond,
		Burst: &GilbertElliott{GoodToBad: 0.02, BadToGood: 0.3, LossBad: 0.8}}
}

// outage is a good link that drops everything from 10 s to 40 s after the start.
func outage() Direction {
	return Direction{Delay: 10 * time.Millisecond, Script: []Step{{At: 10 * time.Second, Outage: 30 * time.Second}}}
}

// Lookup returns the named profile.
func Lookup(name string) (Profile, error) {
	p, ok := Profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown link profile %q (known: %v)", name, Names())
	}
	return p, nil
}

// Names lists the profiles, sorted.
func Names() []string {
	names := make([]string, 0, len(Profiles))
	for n := range Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
