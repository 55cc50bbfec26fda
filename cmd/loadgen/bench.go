package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"cloudwindow/loadgen"
)

// bench runs the benchmark scenarios, each against a fresh node process.
type bench struct {
	bin     string
	work    string
	repeat  int
	quick   bool
	record  bool // the node has a --record switch
	log     *slog.Logger
	results benchResults
}

// benchResults is the JSON the bench writes; BENCHMARKS.md quotes it.
type benchResults struct {
	Machine      string                       `json:"machine"`
	StartedAt    time.Time                    `json:"started_at"`
	Minutes      float64                      `json:"minutes"`
	Idle         []*loadgen.IdleReport        `json:"idle"`
	Forwarding   []*loadgen.Report            `json:"forwarding"`
	Relay        []*loadgen.RelayReport       `json:"relay"`
	RecordingOff []*loadgen.Report            `json:"recording_off,omitempty"`
	RecordingOn  []*loadgen.Report            `json:"recording_on,omitempty"`
	Ramp         *loadgen.RampReport          `json:"ramp"`
	RampConfirm  *loadgen.Report              `json:"ramp_confirm,omitempty"`
	Setup        map[string][]*loadgen.Report `json:"setup"`
	Queue        []*loadgen.QueueReport       `json:"queue"`
	Notes        []string                     `json:"notes"`
}

func cmdBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadgen bench", flag.ContinueOnError)
	bin := fs.String("server-bin", "", "cloudwindow binary (default: go build ./cmd/cloudwindow)")
	out := fs.String("out", "bench-results.json", "where to write the figures")
	repeat := fs.Int("repeat", 3, "runs of each key scenario (medians are quoted)")
	quick := fs.Bool("quick", false, "tiny scenarios, to try the command in a minute")
	only := fs.String("only", "", "comma-separated scenarios: idle,forwarding,recording,ramp,setup,queue (default all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := newBench(*bin, *repeat, *quick)
	if err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	runErr := b.run(ctx, *only)
	b.results.Minutes = time.Since(b.results.StartedAt).Minutes()
	if err := writeJSON(*out, b.results); err != nil {
		return err
	}
	fmt.Printf("figures written to %s\n", *out)
	return runErr
}

func newBench(bin string, repeat int, quick bool) (*bench, error) {
	work, err := os.MkdirTemp("", "loadgen-bench-")
	if err != nil {
		return nil, err
	}
	if bin == "" {
		if bin, err = buildNode(work); err != nil {
			os.RemoveAll(work)
			return nil, err
		}
	}
	b := &bench{
		bin: bin, work: work, repeat: max(1, repeat), quick: quick, record: nodeHasFlag(bin, "record"),
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	b.results = benchResults{Machine: machine(), StartedAt: time.Now(), Setup: map[string][]*loadgen.Report{}}
	if !b.record {
		b.note("the node has no --record switch: recording on/off not compared, and calls run as the node's default")
	}
	return b, nil
}

func (b *bench) run(ctx context.Context, only string) error {
	scenarios := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"idle", b.idle}, {"forwarding", b.forwarding}, {"recording", b.recording},
		{"ramp", b.ramp}, {"setup", b.setup}, {"queue", b.queue},
	}
	for _, s := range scenarios {
		if only != "" && !strings.Contains(","+only+",", ","+s.name+",") {
			continue
		}
		fmt.Printf("\n### %s\n", s.name)
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func (b *bench) note(s string) {
	b.results.Notes = append(b.results.Notes, s)
	fmt.Println("note:", s)
}

// withNode prepares a fresh data dir with the load accounts, starts a node
// on it, runs fn and stops the node.
func (b *bench) withNode(ctx context.Context, stations, agents int, record bool, fn func(base loadgen.Config) error) error {
	dir, err := os.MkdirTemp(b.work, "node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := loadgen.PrepareDataDir(ctx, dir, stations, agents, loadgen.DefaultPassword); err != nil {
		return err
	}
	var extra []string
	if b.record {
		extra = append(extra, fmt.Sprintf("--record=%v", record))
	}
	p, url, err := startNode(ctx, b.bin, dir, extra)
	if err != nil {
		return err
	}
	defer p.stop()
	return fn(loadgen.Config{BaseURL: url, ServerPID: p.pid(), Logger: b.log, MaxFailedShare: 1})
}

// scale shrinks a figure in quick mode.
func (b *bench) scale(full, quick int) int {
	if b.quick {
		return quick
	}
	return full
}

func (b *bench) hold(full time.Duration) time.Duration {
	if b.quick {
		return 5 * time.Second
	}
	return full
}

func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s/%s, %s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
