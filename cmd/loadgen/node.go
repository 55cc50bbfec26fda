package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"cloudwindow/node"
)

// nodeOptions is what `loadgen node` is told: the node's configuration and
// how to watch it.
type nodeOptions struct {
	cfg        node.Config
	udpBuffer  int    // media socket receive buffer, bytes; 0 keeps the system's
	profile    string // CPU profile file
	contention string // mutex and block profiles' path prefix
	heap       string // heap profile file, written heapAfter the start
	heapAfter  time.Duration
	limit      time.Duration // the node stops after this even if not told to
}

// parseNodeFlags reads the cloudwindow flags the bench passes. The media
// features are the product's defaults (node.DefaultConfig), each with a
// flag to measure without it, so that what the bench measures is the node
// as deployed.
func parseNodeFlags(args []string) (nodeOptions, error) {
	fs := flag.NewFlagSet("loadgen node", flag.ContinueOnError)
	o := nodeOptions{cfg: node.DefaultConfig()}
	cfg := &o.cfg
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "HTTP listen address (loopback)")
	fs.StringVar(&cfg.DataDir, "data-dir", "data", "data directory")
	fs.IntVar(&cfg.UDPPort, "media-udp-port", 0, "ICE UDP port")
	fs.Var(&cfg.UDPPorts, "media-udp-ports", "instead of --media-udp-port, a UDP port per media connection from this range (e.g. 40000-49999)")
	fs.IntVar(&cfg.TCPPort, "media-tcp-port", -1, "ICE-TCP port; -1 disables")
	fs.StringVar(&cfg.NodeName, "node-name", "bench", "node name")
	fs.Bool("media-loopback-only", true, "always on: media stays on loopback")
	fs.IntVar(&cfg.ConnLimits.WSMaxPerAddress, "ws-max-per-address", 0, "signaling sockets per client address (0: the node's default)")
	fs.String("log-level", "warn", "ignored: the node logs warnings only")
	record := fs.Bool("record", true, "record every call, as cloudwindow does")
	fs.BoolVar(&cfg.PreconnectMedia, "preconnect-media", cfg.PreconnectMedia, "let ready agents and queued stations keep a standing media connection")
	fs.BoolVar(&cfg.AdaptDownlink, "adapt-downlink", cfg.AdaptDownlink, "estimate each receiver's downlink and cap senders to it")
	fs.BoolVar(&cfg.VideoFEC, "video-fec", cfg.VideoFEC, "send video FEC to receivers that report loss")
	fs.IntVar(&cfg.AudioRedundancy, "audio-redundancy", cfg.AudioRedundancy, "most earlier Opus frames resent as RED (0 disables)")
	fs.IntVar(&o.udpBuffer, "udp-read-buffer", 0, "set the media UDP socket's receive buffer to this many bytes (0: the system default)")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile here")
	fs.StringVar(&o.contention, "contentionprofile", "", "write mutex and block profiles to this path + .mutex and .block at exit")
	fs.StringVar(&o.heap, "memprofile", "", "write a heap profile here, -memprofile-after the start")
	fs.DurationVar(&o.heapAfter, "memprofile-after", 30*time.Second, "when to write the heap profile")
	fs.DurationVar(&o.limit, "max-duration", 30*time.Minute, "stop after this even if not told to")
	if err := fs.Parse(args); err != nil {
		return nodeOptions{}, err
	}
	if o.udpBuffer > 0 && !cfg.UDPPorts.IsZero() {
		return nodeOptions{}, errors.New("--udp-read-buffer sets the shared media socket's buffer: not with --media-udp-ports")
	}
	cfg.LoopbackOnly, cfg.NoRecording = true, !*record
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return o, nil
}

// cmdNode runs a node in this process, on loopback only, optionally under
// the CPU profiler: the same code as cmd/cloudwindow, so a profile taken
// under load shows where the node's own time goes.
func cmdNode(ctx context.Context, args []string) error {
	o, err := parseNodeFlags(args)
	if err != nil {
		return err
	}
	if o.profile != "" {
		stop, err := startProfile(o.profile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if o.contention != "" {
		stop := startContentionProfile(o.contention, o.cfg.Logger)
		defer stop()
	}
	ctx, cancel := context.WithTimeout(ctx, o.limit)
	defer cancel()
	n, err := node.Start(ctx, o.cfg)
	if err != nil {
		return err
	}
	if o.udpBuffer > 0 {
		if err := setUDPReadBuffer(n.SFU.UDPPort(), o.udpBuffer); err != nil {
			n.Close()
			return err
		}
	}
	if o.heap != "" {
		stop := writeHeapProfileAfter(o.heapAfter, o.heap, o.cfg.Logger)
		defer stop()
	}
	<-ctx.Done()
	return n.Close()
}

// writeHeapProfileAfter writes the live heap (after a GC) to path once d
// has passed; stop cancels it if it has not run.
func writeHeapProfileAfter(d time.Duration, path string, log *slog.Logger) (stop func() bool) {
	t := time.AfterFunc(d, func() {
		f, err := os.Create(path)
		if err != nil {
			log.Error("heap profile", "err", err)
			return
		}
		defer f.Close()
		runtime.GC()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			log.Error("heap profile", "err", err)
		}
		log.Warn("heap profile written", "path", path, "goroutines", runtime.NumGoroutine())
	})
	return t.Stop
}

func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// startContentionProfile samples lock contention and blocking (one in five
// mutex events, blocking of 10 µs and more) until stop, which writes both
// profiles next to prefix.
func startContentionProfile(prefix string, log *slog.Logger) (stop func()) {
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(10_000)
	return func() {
		for _, name := range []string{"mutex", "block"} {
			if err := writeProfile(name, prefix+"."+name); err != nil {
				log.Error("contention profile", "profile", name, "err", err)
			}
		}
	}
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create %s profile: %w", name, err)
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		return fmt.Errorf("write %s profile: %w", name, err)
	}
	return nil
}
