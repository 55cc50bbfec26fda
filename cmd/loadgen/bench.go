package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"cloudwindow/loadgen"
	"cloudwindow/media"
)

// bench runs the benchmark scenarios, each against a fresh node process.
type bench struct {
	bin      string
	work     string
	repeat   int
	quick    bool
	profile  string          // directory for CPU profiles of the forwarding, recording and setup nodes
	udpBuf   int             // media socket receive buffer for every node; 0: the default
	udpPorts media.PortRange // a UDP port per media connection for every node; zero: one shared port
	log      *slog.Logger
	results  benchResults
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
	Peer         []peerPair                   `json:"peer,omitempty"`
	Notes        []string                     `json:"notes"`
}

func cmdBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadgen bench", flag.ContinueOnError)
	bin := fs.String("server-bin", "", "cloudwindow binary (default: go build ./cmd/cloudwindow)")
	out := fs.String("out", defaultResultsPath(), "where to write the figures (JSON)")
	repeat := fs.Int("repeat", 3, "runs of each key scenario (medians are quoted); 1 with -quick unless given")
	quick := fs.Bool("quick", false, "tiny scenarios run once, to try the command in about a minute")
	only := fs.String("only", "", "comma-separated scenarios: idle,forwarding,recording,ramp,setup,queue (default all)")
	profile := fs.String("profile-dir", "", "run the forwarding, recording and setup nodes in `loadgen node` under the CPU profiler, profiles here")
	udpBuf := fs.Int("node-udp-buffer", 0, "run every node as `loadgen node` with this media socket receive buffer (bytes)")
	var udpPorts media.PortRange
	fs.Var(&udpPorts, "node-udp-ports", "run every node as `loadgen node` with a UDP port per media connection from this range (e.g. 40000-49999)")
	peer := fs.String("peer", "", "livekit: instead of the scenarios, alternate this node and LiveKit v1.11.0 at the forwarding load, -repeat pairs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *peer != "" && *peer != "livekit" {
		return fmt.Errorf("unknown -peer %q (known: livekit)", *peer)
	}
	if *peer != "" && *bin == "" {
		*bin, _ = os.Executable() // the pairs run `loadgen node` (recording off): no cloudwindow build needed
	}
	if *quick && !flagGiven(fs, "repeat") {
		*repeat = 1 // a median of tiny runs says nothing more than one run
	}
	b, err := newBench(*bin, *repeat, *quick)
	if err != nil {
		return err
	}
	defer os.RemoveAll(b.work)
	b.profile, b.udpBuf, b.udpPorts = *profile, *udpBuf, udpPorts
	if b.udpBuf > 0 {
		b.note(fmt.Sprintf("every node runs as `loadgen node` with a %d-byte media socket receive buffer", b.udpBuf))
	}
	if !udpPorts.IsZero() {
		b.note(fmt.Sprintf("every node runs as `loadgen node` with a UDP port per media connection from %s", udpPorts.String()))
	}
	var runErr error
	if *peer == "livekit" {
		runErr = b.livekitPairs(ctx)
	} else {
		runErr = b.run(ctx, *only)
	}
	b.results.Minutes = time.Since(b.results.StartedAt).Minutes()
	if err := writeJSON(*out, b.results); err != nil {
		return err
	}
	fmt.Printf("figures written to %s\n", *out)
	return runErr
}

// defaultResultsPath keeps the figures out of the checkout: a run is not a change to
// commit, and BENCHMARKS.md quotes the figures it needs.
func defaultResultsPath() string {
	return filepath.Join(os.TempDir(), "cloudwindow-bench-results.json")
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
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
		bin: bin, work: work, repeat: max(1, repeat), quick: quick,
		log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	b.results = benchResults{Machine: machine(), StartedAt: time.Now(), Setup: map[string][]*loadgen.Report{}}
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

// nodeSpec is the node a scenario runs against. The cloudwindow binary has
// no switch for recording, so a node without it, or one compared with and
// without it, runs as `loadgen node`: the same node package in this binary.
type nodeSpec struct {
	stations, agents int
	record           bool
	selfNode         bool   // run as `loadgen node` even when recording
	profile          string // CPU profile file name, used with -profile-dir
}

// withNode prepares a fresh data dir with the load accounts, starts a node
// on it, runs fn and stops the node.
func (b *bench) withNode(ctx context.Context, spec nodeSpec, fn func(base loadgen.Config) error) error {
	dir, err := os.MkdirTemp(b.work, "node-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := loadgen.PrepareDataDir(ctx, dir, spec.stations, spec.agents, loadgen.DefaultPassword); err != nil {
		return err
	}
	bin, extra, err := b.nodeCommand(spec)
	if err != nil {
		return err
	}
	p, url, err := startNode(ctx, bin, dir, extra)
	if err != nil {
		return err
	}
	defer p.stop()
	return fn(loadgen.Config{BaseURL: url, ServerPID: p.pid(), Logger: b.log, MaxFailedShare: 1})
}

// nodeCommand is the node binary and its extra flags for spec.
func (b *bench) nodeCommand(spec nodeSpec) (string, []string, error) {
	profiled := spec.profile != "" && b.profile != ""
	if spec.record && !spec.selfNode && !profiled && b.udpBuf == 0 && b.udpPorts.IsZero() {
		return b.bin, nil, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	args := []string{fmt.Sprintf("--record=%v", spec.record), fmt.Sprintf("--udp-read-buffer=%d", b.udpBuf),
		"--media-udp-ports=" + b.udpPorts.String()}
	if profiled {
		args = append(args, "--cpuprofile", filepath.Join(b.profile, spec.profile))
	}
	return self, args, nil
}

// quickHold is every measurement window in quick mode; with the node starts and
// call set-ups around about a dozen windows it keeps -quick near one minute.
const quickHold = 3 * time.Second

// scale shrinks a figure in quick mode.
func (b *bench) scale(full, quick int) int {
	if b.quick {
		return quick
	}
	return full
}

func (b *bench) hold(full time.Duration) time.Duration {
	if b.quick {
		return quickHold
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
