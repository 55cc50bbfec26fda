package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"cloudwindow/loadgen"
)

// peerRun is one LiveKit run as tools/livekitbench reports it.
type peerRun struct {
	Server              string  `json:"server"`
	Rooms               int     `json:"rooms"`
	WindowSeconds       float64 `json:"window_s"`
	ForwardedPackets    float64 `json:"forwarded_packets"`
	RetransmitPackets   float64 `json:"retransmit_packets"`
	SubscriberReceived  uint64  `json:"subscriber_received"`
	PublisherSent       uint64  `json:"publisher_sent"`
	ServerCPUSeconds    float64 `json:"server_cpu_s"`
	ServerCores         float64 `json:"server_cores"`
	LoadgenCPUSeconds   float64 `json:"loadgen_cpu_s"`
	LoadgenCores        float64 `json:"loadgen_cores"`
	CPUPressurePct      float64 `json:"cpu_pressure_pct"`
	PacketsPerCPUSecond float64 `json:"forwarded_per_server_cpu_s"`
}

// peerPair is one cloudwindow run and the LiveKit run right after it.
type peerPair struct {
	Ours    *loadgen.Report `json:"ours"`
	Livekit *peerRun        `json:"livekit"`
	Ratio   float64         `json:"ratio"` // ours / LiveKit, forwarded packets per server CPU-second
}

// livekitPairs alternates cloudwindow's node and LiveKit at the forwarding
// load, b.repeat pairs, and prints each pair's ratio with the CPU pressure
// each run saw: on a shared machine only runs under similar pressure compare.
func (b *bench) livekitPairs(ctx context.Context) error {
	harness, err := buildLivekitBench(b.work)
	if err != nil {
		return err
	}
	n, hold := b.scale(30, 5), b.hold(30*time.Second)
	for i := range b.repeat {
		var pair peerPair
		spec := nodeSpec{stations: n, agents: n, profile: fmt.Sprintf("peer-forwarding-%d.pprof", i+1)}
		err := b.withNode(ctx, spec, func(base loadgen.Config) error {
			rep, err := oneRun(ctx, base, fmt.Sprintf("cloudwindow %d one-way", n), n, hold, forwardingMedia())
			pair.Ours = rep
			return err
		})
		if err != nil {
			return err
		}
		if pair.Livekit, err = runLivekitBench(ctx, harness, n, hold); err != nil {
			return err
		}
		if lk := pair.Livekit.PacketsPerCPUSecond; lk > 0 {
			pair.Ratio = pair.Ours.Window.PacketsPerCPUSecond / lk
		}
		b.results.Peer = append(b.results.Peer, pair)
		printPair(i+1, pair)
	}
	return nil
}

func printPair(i int, p peerPair) {
	o, lk := p.Ours.Window, p.Livekit
	fmt.Printf("pair %d: cloudwindow %.0f pkt/CPU-s (%.2f cores, pressure %.0f%%, loadgen %.2f cores) | "+
		"livekit %.0f pkt/CPU-s (%.2f cores, pressure %.0f%%, loadgen %.2f cores) | ratio %.2f\n",
		i, o.PacketsPerCPUSecond, o.ServerCores, o.CPUPressurePct, o.LoadgenCores,
		lk.PacketsPerCPUSecond, lk.ServerCores, lk.CPUPressurePct, lk.LoadgenCores, p.Ratio)
}

// buildLivekitBench builds the harness module (tools/livekitbench, its own
// go.mod) into dir; run from the repository root.
func buildLivekitBench(dir string) (string, error) {
	bin := filepath.Join(dir, "livekitbench")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("tools", "livekitbench")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build tools/livekitbench (run from the repository root): %w", err)
	}
	return bin, nil
}

// runLivekitBench runs one LiveKit measurement; the harness installs
// livekit-server into the user cache on its first run.
func runLivekitBench(ctx context.Context, bin string, rooms int, hold time.Duration) (*peerRun, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-rooms", strconv.Itoa(rooms), "-hold", hold.String())
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("livekitbench: %w", err)
	}
	var r peerRun
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("read livekitbench result %q: %w", out.String(), err)
	}
	fmt.Printf("livekit %d rooms: window %.1f s, %.0f forwarded (+%.0f resent), server %.3f cores, loadgen %.3f cores, CPU pressure %.0f%%\n",
		r.Rooms, r.WindowSeconds, r.ForwardedPackets, r.RetransmitPackets, r.ServerCores, r.LoadgenCores, r.CPUPressurePct)
	return &r, nil
}
