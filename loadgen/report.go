package loadgen

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// Report is what a run measured.
type Report struct {
	Name      string        `json:"name"`
	Config    ConfigSummary `json:"config"`
	StartedAt time.Time     `json:"started_at"`
	Seconds   float64       `json:"seconds"`

	Calls  CallCounts             `json:"calls"`
	Setup  map[string]Percentiles `json:"setup_ms"` // see setupSteps()
	Tracks []TrackReport          `json:"tracks"`
	Window Window                 `json:"window"`
	Whole  WholeRun               `json:"whole_run"`
}

// ConfigSummary is the part of the config a reader needs to rerun.
type ConfigSummary struct {
	Stations      int     `json:"stations"`
	Agents        int     `json:"agents"`
	MaxCalls      int     `json:"max_calls"`
	CallRate      float64 `json:"call_rate"`
	AcceptDelayMs int64   `json:"accept_delay_ms"`
	CallLengthS   float64 `json:"call_length_s"`
	GreenShare    float64 `json:"green_share"`
	Media         string  `json:"media"`
	OneWay        bool    `json:"one_way"`
	PatternKbps   float64 `json:"pattern_kbps"` // per sending party, video + audio payload
	PatternPPS    float64 `json:"pattern_pps"`  // per sending party
}

// CallCounts counts calls by outcome.
type CallCounts struct {
	Requested int `json:"requested"`
	Completed int `json:"completed"`
	Failed    int `json:"failed"`
	CutAtEnd  int `json:"cut_at_end"` // still setting up when the run ended
	// Standing counts the completed calls carried at both ends by standing
	// connections (Config.Standing).
	Standing int            `json:"standing,omitempty"`
	Failures map[string]int `json:"failures,omitempty"`
}

// FailedShare is the share of finished calls that failed.
func (c CallCounts) FailedShare() float64 {
	if c.Completed+c.Failed == 0 {
		return 0
	}
	return float64(c.Failed) / float64(c.Completed+c.Failed)
}

// Percentiles summarise durations in milliseconds (nearest rank).
type Percentiles struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentilesOf(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return ms(s[max(i, 0)])
	}
	return Percentiles{N: len(s), P50: rank(0.50), P95: rank(0.95), P99: rank(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e4) / 100 }

// TrackReport sums one kind of track ("station→agent camera") over all calls.
type TrackReport struct {
	Track        string  `json:"track"`
	Calls        int     `json:"calls"`
	Sent         uint64  `json:"sent"`
	Received     uint64  `json:"received"`
	Lost         uint64  `json:"lost"` // by sequence number span
	LossPct      float64 `json:"loss_pct"`
	JitterMsMean float64 `json:"jitter_ms_mean"`
	JitterMsMax  float64 `json:"jitter_ms_max"`
}

// Window is the node's load over the steady part of the run.
type Window struct {
	Seconds             float64 `json:"seconds"`
	CallsInMedia        int     `json:"calls_in_media"`
	ServerCPUSeconds    float64 `json:"server_cpu_s"`
	ServerCores         float64 `json:"server_cores"`
	ServerRSSMB         float64 `json:"server_rss_mb"`
	LoadgenCPUSeconds   float64 `json:"loadgen_cpu_s"`
	LoadgenCores        float64 `json:"loadgen_cores"`
	MachineBusyPct      float64 `json:"machine_busy_pct"` // all processes, all cores
	CPUPressurePct      float64 `json:"cpu_pressure_pct"` // tasks waiting for a CPU, last 60 s
	ForwardedPPS        float64 `json:"forwarded_pps"`
	ForwardedMbps       float64 `json:"forwarded_mbps"`
	PacketsPerCPUSecond float64 `json:"forwarded_per_server_cpu_s"`
	Received            uint64  `json:"received"`
	Expected            uint64  `json:"expected"`
	LossPct             float64 `json:"loss_pct"`
	UDPReceiveDrops     uint64  `json:"udp_receive_drops"` // machine-wide, full socket buffers
}

// WholeRun is what the run cost from the first call to the last hang-up,
// setup included (sign-in is not).
type WholeRun struct {
	ServerCPUSeconds  float64 `json:"server_cpu_s"`
	LoadgenCPUSeconds float64 `json:"loadgen_cpu_s"`
	// UDPReceiveDrops counts, machine-wide, datagrams dropped on full
	// socket buffers.
	UDPReceiveDrops uint64 `json:"udp_receive_drops"`
}

func wholeRun(a, b windowMark) WholeRun {
	return WholeRun{
		ServerCPUSeconds:  round(b.server.CPUSeconds-a.server.CPUSeconds, 2),
		LoadgenCPUSeconds: round(b.selfCPU-a.selfCPU, 2),
		UDPReceiveDrops:   b.udpDrops - a.udpDrops,
	}
}

// windowMark is one end of the measurement window.
type windowMark struct {
	server             Sample
	selfCPU            float64
	machine            machineTimes
	udpDrops           uint64
	received, expected uint64
}

func windowBetween(a, b windowMark, inMedia int) Window {
	secs := b.server.At.Sub(a.server.At).Seconds()
	w := Window{Seconds: round(secs, 2), CallsInMedia: inMedia}
	if secs <= 0 {
		return w
	}
	cpu := b.server.CPUSeconds - a.server.CPUSeconds
	fwd := b.server.ForwardedPackets - a.server.ForwardedPackets
	w.ServerCPUSeconds, w.ServerCores = round(cpu, 2), round(cpu/secs, 3)
	w.ServerRSSMB = round(b.server.RSSBytes/(1<<20), 1)
	self := b.selfCPU - a.selfCPU
	w.LoadgenCPUSeconds, w.LoadgenCores = round(self, 2), round(self/secs, 3)
	w.MachineBusyPct = b.machine.busyPctSince(a.machine)
	w.CPUPressurePct = cpuPressure()
	w.UDPReceiveDrops = b.udpDrops - a.udpDrops
	w.ForwardedPPS = round(fwd/secs, 0)
	w.ForwardedMbps = round((b.server.ForwardedBytes-a.server.ForwardedBytes)*8/secs/1e6, 2)
	if cpu > 0 {
		w.PacketsPerCPUSecond = round(fwd/cpu, 0)
	}
	w.Received, w.Expected = b.received-a.received, b.expected-a.expected
	w.LossPct = lossPct(w.Received, w.Expected)
	return w
}

func lossPct(received, expected uint64) float64 {
	if expected == 0 || received >= expected {
		return 0
	}
	return round(float64(expected-received)/float64(expected)*100, 3)
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "== %s: %.1f s, %d stations, %d agents, up to %d calls, media %s\n",
		r.Name, r.Seconds, r.Config.Stations, r.Config.Agents, r.Config.MaxCalls, r.Config.Media)
	c := r.Calls
	fmt.Fprintf(w, "calls: %d requested, %d completed, %d failed, %d cut at end %v\n",
		c.Requested, c.Completed, c.Failed, c.CutAtEnd, failuresText(c.Failures))
	if c.Standing > 0 {
		fmt.Fprintf(w, "calls on standing connections at both ends: %d\n", c.Standing)
	}
	for _, step := range setupSteps() {
		if p, ok := r.Setup[step]; ok && p.N > 0 {
			fmt.Fprintf(w, "setup %-28s n=%-4d p50 %7.1f ms  p95 %7.1f ms  p99 %7.1f ms  max %7.1f ms\n", step, p.N, p.P50, p.P95, p.P99, p.Max)
		}
	}
	for _, t := range r.Tracks {
		fmt.Fprintf(w, "track %-22s calls %-4d sent %-9d recv %-9d lost %-6d (%.3f%%) jitter mean %.2f ms max %.2f ms\n",
			t.Track, t.Calls, t.Sent, t.Received, t.Lost, t.LossPct, t.JitterMsMean, t.JitterMsMax)
	}
	x := r.Window
	fmt.Fprintf(w, "window %.1f s, %d calls in media: server %.3f cores (%.1f MB RSS), loadgen %.3f cores, machine %.0f%% busy, CPU pressure %.0f%%\n",
		x.Seconds, x.CallsInMedia, x.ServerCores, x.ServerRSSMB, x.LoadgenCores, x.MachineBusyPct, x.CPUPressurePct)
	fmt.Fprintf(w, "forwarded %.0f pkt/s, %.2f Mbit/s, %.0f pkt per server CPU-second; loss %.3f%% (%d of %d); UDP receive-buffer drops %d in window, %d in run\n",
		x.ForwardedPPS, x.ForwardedMbps, x.PacketsPerCPUSecond, x.LossPct, x.Expected-min(x.Received, x.Expected), x.Expected, x.UDPReceiveDrops, r.Whole.UDPReceiveDrops)
	fmt.Fprintf(w, "whole run: server %.2f CPU-s, loadgen %.2f CPU-s\n", r.Whole.ServerCPUSeconds, r.Whole.LoadgenCPUSeconds)
}

func failuresText(f map[string]int) string {
	if len(f) == 0 {
		return ""
	}
	parts := make([]string, 0, len(f))
	for k, v := range f {
		parts = append(parts, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(parts)
	return "(" + strings.Join(parts, ", ") + ")"
}
