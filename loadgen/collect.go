package loadgen

import (
	"maps"
	"slices"
	"time"
)

// trackAgg sums one kind of track over the calls of a run.
type trackAgg struct {
	TrackReport
	jitterSum float64
}

func (r *runner) agg(label string) *trackAgg {
	t, ok := r.tracks[label]
	if !ok {
		t = &trackAgg{TrackReport: TrackReport{Track: label}}
		r.tracks[label] = t
	}
	return t
}

// collect adds a finished party's sent and received figures to the run.
func (r *runner) collect(pm *partyMedia) {
	received := pm.recv.Load().ended()
	r.mu.Lock()
	defer r.mu.Unlock()
	if pm.send != nil {
		other := "agent"
		if pm.party == "agent" {
			other = "station"
		}
		r.agg(pm.party + "→" + other + " camera").Sent += pm.send.sentVideo
		r.agg(pm.party + "→" + other + " audio").Sent += pm.send.sentAudio
	}
	for _, t := range received {
		a := r.agg(t.label)
		a.Calls++
		a.Received += t.received
		a.Lost += t.expected() - min(t.received, t.expected())
		j := t.jitterMs()
		a.jitterSum += j
		a.JitterMsMax = max(a.JitterMsMax, round(j, 2))
	}
}

func (r *runner) noteFailure(reason string) {
	r.mu.Lock()
	r.failures[reason]++
	r.mu.Unlock()
}

// setupSteps name the call setup intervals, in the order of a call.
func setupSteps() []string {
	return []string{
		"request→offer", "offer→accept", "accept→started at station",
		"accept→negotiated, agent", "accept→negotiated, station", "accept→connected, agent", "accept→connected, station",
		"accept→media at station", "accept→media at agent", "accept→media both ends", "request→media both ends",
	}
}

// report builds the run's report from its call records and aggregates.
func (r *runner) report(start time.Time, w Window) *Report {
	rep := &Report{
		StartedAt: start, Seconds: round(time.Since(start).Seconds(), 2), Window: w,
		Config: r.summary(), Setup: map[string]Percentiles{},
		Calls: CallCounts{Failures: map[string]int{}},
	}
	steps := map[string][]time.Duration{}
	for _, c := range r.book.all() {
		r.count(&rep.Calls, c, steps)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for reason, n := range r.failures {
		rep.Calls.Failed += n
		rep.Calls.Requested += n
		rep.Calls.Failures[reason] += n
	}
	for name, ds := range steps {
		rep.Setup[name] = percentilesOf(ds)
	}
	for _, label := range slices.Sorted(maps.Keys(r.tracks)) {
		t := r.tracks[label]
		t.LossPct = lossPct(t.Received, t.Received+t.Lost)
		if t.Calls > 0 {
			t.JitterMsMean = round(t.jitterSum/float64(t.Calls), 2)
		}
		rep.Tracks = append(rep.Tracks, t.TrackReport)
	}
	return rep
}

// count files one call under its outcome and, if it completed, its setup
// intervals under steps.
func (r *runner) count(calls *CallCounts, c *callRecord, steps map[string][]time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.requested.IsZero() {
		calls.Requested++
	}
	switch {
	case c.failure != "":
		calls.Failed++
		calls.Failures[c.failure]++
		return
	case c.cut || !c.ended || c.agentMedia.IsZero():
		calls.CutAtEnd++
		return
	}
	calls.Completed++
	if c.standing == [2]bool{true, true} {
		calls.Standing++
	}
	both := c.agentMedia
	if c.needBoth {
		both = later(c.agentMedia, c.stationMedia)
	}
	add := func(name string, from, to time.Time) {
		if !from.IsZero() && !to.IsZero() {
			steps[name] = append(steps[name], to.Sub(from))
		}
	}
	add("request→offer", c.requested, c.offered)
	add("offer→accept", c.offered, c.acceptSent)
	add("accept→started at station", c.acceptSent, c.started)
	add("accept→negotiated, station", c.acceptSent, c.negotiated[0])
	add("accept→negotiated, agent", c.acceptSent, c.negotiated[1])
	add("accept→connected, station", c.acceptSent, c.connected[0])
	add("accept→connected, agent", c.acceptSent, c.connected[1])
	add("accept→media at station", c.acceptSent, c.stationMedia)
	add("accept→media at agent", c.acceptSent, c.agentMedia)
	add("accept→media both ends", c.acceptSent, both)
	add("request→media both ends", c.requested, both)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (r *runner) summary() ConfigSummary {
	c := r.cfg
	return ConfigSummary{
		Stations: c.Stations, Agents: c.Agents, MaxCalls: c.MaxCalls, CallRate: c.CallRate,
		AcceptDelayMs: c.AcceptDelay.Milliseconds(), CallLengthS: c.CallLength.Seconds(), GreenShare: c.GreenShare,
		Media: string(c.Media.Source), OneWay: c.Media.OneWay,
		PatternKbps: round(r.pat.bitsPerSecond()/1000, 1), PatternPPS: round(r.pat.packetsPerSecond(), 1),
	}
}
