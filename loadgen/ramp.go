package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"
)

// RampConfig raises the number of concurrent calls step by step.
type RampConfig struct {
	Base               Config // stations, agents and calls are set per step
	Start, Step, Max   int
	Hold               time.Duration // each step holds its calls this long
	StopLossPct        float64       // stop above this loss; default 1
	PassLossPct        float64       // a step passes below this loss; default 0.5
	SaturatedCores     float64       // stop when node + generator use this many cores; default 95% of the machine
	StartRatePerSecond float64       // call starts per second while a step fills; default 10
}

// RampReport lists the steps and the highest one held.
type RampReport struct {
	Steps     []*Report `json:"steps"`
	Held      int       `json:"held"` // most concurrent calls held with loss below PassLossPct and none failed
	StoppedBy string    `json:"stopped_by"`
}

func (rc *RampConfig) setDefaults() {
	if rc.StopLossPct <= 0 {
		rc.StopLossPct = 1
	}
	if rc.PassLossPct <= 0 {
		rc.PassLossPct = 0.5
	}
	if rc.SaturatedCores <= 0 {
		rc.SaturatedCores = 0.95 * float64(runtime.NumCPU())
	}
	if rc.StartRatePerSecond <= 0 {
		rc.StartRatePerSecond = 10
	}
	if rc.Step <= 0 {
		rc.Step = max(1, rc.Start)
	}
}

// Ramp runs steps of Start, Start+Step, … up to Max concurrent 1:1 calls,
// each held for Hold, and stops after the first step whose loss exceeds
// StopLossPct, whose calls fail or cannot all be held, or in which the node
// and the generator together use up the machine's cores. The node needs Max load stations and agents.
func Ramp(ctx context.Context, rc RampConfig) (*RampReport, error) {
	rc.setDefaults()
	rep := &RampReport{StoppedBy: "reached max"}
	for n := rc.Start; n <= rc.Max; n += rc.Step {
		step, err := Run(ctx, fmt.Sprintf("ramp %d calls", n), rc.stepConfig(n))
		if err != nil && !errors.Is(err, ErrTooManyFailures) {
			return rep, err
		}
		rep.Steps = append(rep.Steps, step)
		if rc.passed(step, n) {
			rep.Held = n
		}
		if reason := rc.stopReason(step, n); reason != "" {
			rep.StoppedBy = reason
			break
		}
	}
	return rep, nil
}

func (rc *RampConfig) stepConfig(n int) Config {
	cfg := rc.Base
	cfg.Stations, cfg.Agents, cfg.MaxCalls = n, n, n
	cfg.CallRate = rc.StartRatePerSecond
	cfg.Hold = rc.Hold
	fill := time.Duration(float64(n)/cfg.CallRate*float64(time.Second)) + mediaTimeout
	cfg.Duration = fill + rc.Hold + 10*time.Second
	cfg.Warmup = fill
	cfg.CallLength = cfg.Duration // agents hang up when the step ends
	cfg.MaxFailedShare = 1        // failures end the ramp, not the program
	return cfg
}

func (rc *RampConfig) passed(step *Report, n int) bool {
	return step.Window.CallsInMedia >= n && step.Calls.Failed == 0 && step.Window.LossPct < rc.PassLossPct
}

func (rc *RampConfig) stopReason(step *Report, n int) string {
	w := step.Window
	switch {
	case step.Calls.Failed > 0:
		return fmt.Sprintf("%d calls failed at %d", step.Calls.Failed, n)
	case w.CallsInMedia < n:
		return fmt.Sprintf("only %d of %d calls carried media", w.CallsInMedia, n)
	case w.LossPct > rc.StopLossPct:
		return fmt.Sprintf("loss %.2f%% at %d calls", w.LossPct, n)
	case w.ServerCores+w.LoadgenCores >= rc.SaturatedCores:
		return fmt.Sprintf("CPU saturated (node %.2f + generator %.2f cores) at %d calls", w.ServerCores, w.LoadgenCores, n)
	}
	return ""
}

// Print writes one line per step.
func (r *RampReport) Print(w io.Writer) {
	fmt.Fprintf(w, "== ramp: held %d calls; stopped: %s\n", r.Held, r.StoppedBy)
	fmt.Fprintf(w, "%6s %8s %8s %10s %10s %10s %9s %9s %8s\n", "calls", "loss%", "failed", "fwd pkt/s", "fwd Mbit/s", "pkt/CPU-s", "server", "loadgen", "machine")
	for _, s := range r.Steps {
		x := s.Window
		fmt.Fprintf(w, "%6d %8.3f %8d %10.0f %10.1f %10.0f %9.2f %9.2f %7.0f%%\n",
			s.Config.MaxCalls, x.LossPct, s.Calls.Failed, x.ForwardedPPS, x.ForwardedMbps, x.PacketsPerCPUSecond, x.ServerCores, x.LoadgenCores, x.MachineBusyPct)
	}
}
