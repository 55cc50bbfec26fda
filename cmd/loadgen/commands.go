package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"cloudwindow/loadgen"
)

// flags holds what the node-driving commands share.
type flags struct {
	fs        *flag.FlagSet
	cfg       loadgen.Config
	items     string
	videoKbps int
	media     string
	jsonOut   string
}

func newFlags(name string) *flags {
	f := &flags{fs: flag.NewFlagSet("loadgen "+name, flag.ContinueOnError)}
	f.fs.StringVar(&f.cfg.BaseURL, "url", "http://127.0.0.1:8080", "the node (loopback only)")
	f.fs.StringVar(&f.cfg.Password, "password", loadgen.DefaultPassword, "password of the load accounts")
	f.fs.IntVar(&f.cfg.ServerPID, "server-pid", 0, "the node's process id, read from /proc for CPU and memory (default: its /metrics)")
	f.fs.StringVar(&f.jsonOut, "json", "", "also write the report as JSON to this file")
	return f
}

// callFlags adds the flags that shape calls and media.
func (f *flags) callFlags() {
	c := &f.cfg
	f.fs.IntVar(&c.Stations, "stations", 10, "stations signed in")
	f.fs.IntVar(&c.Agents, "agents", 10, "agents signed in, ready")
	f.fs.DurationVar(&c.Duration, "duration", 30*time.Second, "the run stops after this")
	f.fs.DurationVar(&c.Hold, "hold", 0, "end the run this long after the window opened (0: at -duration)")
	f.fs.Float64Var(&c.CallRate, "rate", 2, "call requests per second (0: as fast as -max-calls allows)")
	f.fs.IntVar(&c.MaxCalls, "max-calls", 0, "calls at once (default: agents)")
	f.fs.IntVar(&c.TotalCalls, "calls", 0, "stop after this many calls (0: no limit)")
	f.fs.DurationVar(&c.AcceptDelay, "accept-delay", 500*time.Millisecond, "agents accept an offer after this")
	f.fs.DurationVar(&c.CallLength, "call-length", 10*time.Second, "agents hang up this long after media flows")
	f.fs.Float64Var(&c.GreenShare, "green-share", 0.1, "share of green-channel requests")
	f.fs.StringVar(&f.items, "items", "", "comma-separated item ids (default: one per catalog category)")
	f.fs.Float64Var(&c.MaxFailedShare, "max-failed", 0.05, "exit 1 when a larger share of calls fails")
	f.standingFlag()
	f.mediaFlags()
}

func (f *flags) standingFlag() {
	f.fs.BoolVar(&f.cfg.Standing, "standing", false, "parties connect their media ahead of the call (the node's --preconnect-media)")
}

func (f *flags) mediaFlags() {
	f.fs.StringVar(&f.media, "media", "clip", "clip (VP8 + Opus test clip, ~1 Mbit/s) or synthetic (raw-rate payloads)")
	f.fs.IntVar(&f.videoKbps, "video-kbps", 1000, "synthetic video rate per sending party")
	f.fs.IntVar(&f.cfg.Media.PacketSize, "packet-size", 1100, "synthetic video packet payload bytes")
	f.fs.BoolVar(&f.cfg.Media.OneWay, "one-way", false, "only stations send media")
}

func (f *flags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		return err
	}
	if f.fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", f.fs.Name(), f.fs.Arg(0))
	}
	f.cfg.Media.Source = loadgen.MediaSource(f.media)
	f.cfg.Media.VideoBitrate = f.videoKbps * 1000
	if f.items != "" {
		f.cfg.Items = strings.Split(f.items, ",")
	}
	return nil
}

func writeJSON(path string, v any) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func cmdSetup(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadgen setup", flag.ContinueOnError)
	dir := fs.String("data-dir", "data", "the node's data directory")
	stations := fs.Int("stations", 2000, "load stations to create")
	agents := fs.Int("agents", 200, "load agents to create")
	password := fs.String("password", loadgen.DefaultPassword, "their password")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loadgen.PrepareDataDir(ctx, *dir, *stations, *agents, *password); err != nil {
		return err
	}
	fmt.Printf("%d stations (%s…) and %d agents (%s…) ready in %s\n", *stations, loadgen.StationUsername(0), *agents, loadgen.AgentUsername(0), *dir)
	return nil
}

func cmdRun(ctx context.Context, args []string) error {
	f := newFlags("run")
	f.callFlags()
	if err := f.parse(args); err != nil {
		return err
	}
	rep, err := loadgen.Run(ctx, "run", f.cfg)
	if rep != nil {
		rep.Print(os.Stdout)
		if werr := writeJSON(f.jsonOut, rep); werr != nil {
			return werr
		}
	}
	return err
}

func cmdIdle(ctx context.Context, args []string) error {
	f := newFlags("idle")
	f.fs.IntVar(&f.cfg.Stations, "stations", 2000, "stations to keep connected")
	idle := f.fs.Duration("idle", 20*time.Second, "how long they idle")
	if err := f.parse(args); err != nil {
		return err
	}
	rep, err := loadgen.Idle(ctx, f.cfg, *idle)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	return writeJSON(f.jsonOut, rep)
}

func cmdRamp(ctx context.Context, args []string) error {
	f := newFlags("ramp")
	f.callFlags()
	var rc loadgen.RampConfig
	f.fs.IntVar(&rc.Start, "start", 10, "calls in the first step")
	f.fs.IntVar(&rc.Step, "step", 10, "calls added per step")
	f.fs.IntVar(&rc.Max, "max", 60, "calls in the last step")
	f.fs.DurationVar(&rc.Hold, "step-hold", 60*time.Second, "how long each step holds its calls")
	if err := f.parse(args); err != nil {
		return err
	}
	rc.Base = f.cfg
	rep, err := loadgen.Ramp(ctx, rc)
	if rep != nil {
		rep.Print(os.Stdout)
		if werr := writeJSON(f.jsonOut, rep); werr != nil {
			return werr
		}
	}
	return err
}

func cmdSetupTime(ctx context.Context, args []string) error {
	f := newFlags("setuptime")
	list := f.fs.String("concurrency", "1,20,100", "comma-separated numbers of calls started at once")
	f.standingFlag()
	if err := f.parse(args); err != nil {
		return err
	}
	var reps []*loadgen.Report
	for _, s := range strings.Split(*list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-concurrency: %w", err)
		}
		rep, err := loadgen.SetupTimes(ctx, f.cfg, n)
		if rep != nil {
			rep.Print(os.Stdout)
			reps = append(reps, rep)
		}
		if err != nil {
			return err
		}
	}
	return writeJSON(f.jsonOut, reps)
}

func cmdQueue(ctx context.Context, args []string) error {
	f := newFlags("queue")
	waiting := f.fs.Int("waiting", 1000, "requests waiting (one per station)")
	decisions := f.fs.Int("decisions", 200, "routing decisions timed")
	if err := f.parse(args); err != nil {
		return err
	}
	rep, err := loadgen.QueueRouting(ctx, f.cfg, *waiting, *decisions)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	return writeJSON(f.jsonOut, rep)
}

func cmdRelay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("loadgen relay", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "UDP address to listen on (loopback only)")
	limit := fs.Duration("max-duration", time.Hour, "stop after this even if not told to")
	readBuffer := fs.Int("read-buffer", 0, "socket receive buffer in bytes (0: the system default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := loadgen.CheckLoopback("udp://" + *addr); err != nil {
		return err
	}
	ua, err := net.ResolveUDPAddr("udp", *addr)
	if err != nil {
		return err
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if *readBuffer > 0 {
		if err := conn.SetReadBuffer(*readBuffer); err != nil {
			conn.Close()
			return fmt.Errorf("relay read buffer: %w", err)
		}
	}
	fmt.Printf("relay listening on %s\n", conn.LocalAddr())
	ctx, cancel := context.WithTimeout(ctx, *limit)
	defer cancel()
	return loadgen.ServeRelay(ctx, conn)
}

func cmdRelayLoad(ctx context.Context, args []string) error {
	f := newFlags("relayload")
	var rc loadgen.RelayConfig
	f.fs.StringVar(&rc.Addr, "addr", "", "the relay's UDP address")
	f.fs.IntVar(&rc.PID, "relay-pid", 0, "the relay's process id, for its CPU time")
	f.fs.IntVar(&rc.Calls, "calls", 30, "calls (pairs of legs)")
	f.fs.DurationVar(&rc.Duration, "duration", 20*time.Second, "measurement time")
	f.mediaFlags()
	if err := f.parse(args); err != nil {
		return err
	}
	rc.Media = f.cfg.Media
	rep, err := loadgen.RelayBaseline(ctx, rc)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	return writeJSON(f.jsonOut, rep)
}
