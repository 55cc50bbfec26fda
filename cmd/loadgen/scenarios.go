package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"cloudwindow/loadgen"
)

// forwardingMedia is the load the LiveKit figure was taken at: one-way
// rooms of ~1.9 Mbit/s video in full-size packets plus Opus.
func forwardingMedia() loadgen.Media {
	return loadgen.Media{Source: loadgen.MediaSynthetic, VideoBitrate: 1_900_000, PacketSize: 1100, OneWay: true}
}

func (b *bench) idle(ctx context.Context) error {
	n := b.scale(2000, 200)
	for range b.repeat {
		err := b.withNode(ctx, nodeSpec{stations: n, record: true}, func(base loadgen.Config) error {
			base.Stations = n
			rep, err := loadgen.Idle(ctx, base, b.hold(20*time.Second))
			if err != nil {
				return err
			}
			rep.Print(os.Stdout)
			b.results.Idle = append(b.results.Idle, rep)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// oneRun runs a call scenario of n concurrent calls held for hold.
func oneRun(ctx context.Context, base loadgen.Config, name string, n int, hold time.Duration, media loadgen.Media) (*loadgen.Report, error) {
	cfg := base
	cfg.Stations, cfg.Agents, cfg.MaxCalls = n, n, n
	cfg.CallRate, cfg.AcceptDelay, cfg.GreenShare = 10, 200*time.Millisecond, 0.1
	cfg.Hold, cfg.Duration = hold, hold+time.Duration(n)*100*time.Millisecond+40*time.Second
	cfg.Warmup, cfg.CallLength = cfg.Duration, cfg.Duration
	cfg.Media = media
	rep, err := loadgen.Run(ctx, name, cfg)
	if rep != nil {
		rep.Print(os.Stdout)
	}
	return rep, err
}

// forwarding measures the SFU's packets per CPU-second at the LiveKit
// load, and the bare relay's at the same packet pattern.
func (b *bench) forwarding(ctx context.Context) error {
	n, hold := b.scale(30, 5), b.hold(30*time.Second)
	for i := range b.repeat {
		spec := nodeSpec{stations: n, agents: n, profile: fmt.Sprintf("forwarding-%d.pprof", i+1)}
		err := b.withNode(ctx, spec, func(base loadgen.Config) error {
			rep, err := oneRun(ctx, base, fmt.Sprintf("forwarding %d one-way", n), n, hold, forwardingMedia())
			if rep != nil {
				b.results.Forwarding = append(b.results.Forwarding, rep)
			}
			return err
		})
		if err != nil {
			return err
		}
		if err := b.relay(ctx, n, hold); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) relay(ctx context.Context, calls int, d time.Duration) error {
	p, addr, err := startRelay(b.work, b.udpBuf)
	if err != nil {
		return err
	}
	defer p.stop()
	rep, err := loadgen.RelayBaseline(ctx, loadgen.RelayConfig{Addr: addr, PID: p.pid(), Calls: calls, Media: forwardingMedia(), Duration: d})
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	b.results.Relay = append(b.results.Relay, rep)
	return nil
}

// recording compares the node's CPU per forwarded packet with recording on
// and off, on two-way calls with the clip.
func (b *bench) recording(ctx context.Context) error {
	n, hold := b.scale(20, 3), b.hold(20*time.Second)
	for i := range b.repeat {
		for _, on := range []bool{false, true} {
			spec := nodeSpec{stations: n, agents: n, record: on, selfNode: true, profile: fmt.Sprintf("recording-%v-%d.pprof", on, i+1)}
			err := b.withNode(ctx, spec, func(base loadgen.Config) error {
				rep, err := oneRun(ctx, base, fmt.Sprintf("recording=%v %d calls", on, n), n, hold, loadgen.Media{Source: loadgen.MediaClip})
				if rep == nil {
					return err
				}
				if on {
					b.results.RecordingOn = append(b.results.RecordingOn, rep)
				} else {
					b.results.RecordingOff = append(b.results.RecordingOff, rep)
				}
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// ramp raises recorded 1:1 calls at ~1 Mbit/s each way until loss or CPU
// stops it, then holds the highest passing level for 60 s on a fresh node.
func (b *bench) ramp(ctx context.Context) error {
	rc := loadgen.RampConfig{
		Start: b.scale(10, 2), Step: b.scale(10, 2), Max: b.scale(80, 4), Hold: b.hold(20 * time.Second),
	}
	err := b.withNode(ctx, nodeSpec{stations: rc.Max, agents: rc.Max, record: true}, func(base loadgen.Config) error {
		base.AcceptDelay, base.GreenShare = 200*time.Millisecond, 0.1
		base.Media = loadgen.Media{Source: loadgen.MediaClip}
		rc.Base = base
		rep, err := loadgen.Ramp(ctx, rc)
		b.results.Ramp = rep
		if rep != nil {
			rep.Print(os.Stdout)
		}
		return err
	})
	if err != nil || b.results.Ramp.Held == 0 {
		return err
	}
	n := b.results.Ramp.Held
	return b.withNode(ctx, nodeSpec{stations: n, agents: n, record: true}, func(base loadgen.Config) error {
		hold := b.hold(60 * time.Second)
		rep, err := oneRun(ctx, base, fmt.Sprintf("confirm %d calls for %v", n, hold), n, hold, loadgen.Media{Source: loadgen.MediaClip})
		b.results.RampConfirm = rep
		return err
	})
}

// setup times calls started at once, per call and on standing
// connections, the two alternated run by run.
func (b *bench) setup(ctx context.Context) error {
	for _, n := range []int{1, b.scale(20, 5), b.scale(100, 10)} {
		for i := range b.repeat {
			for _, standing := range []bool{false, true} {
				if err := b.setupRun(ctx, n, i, standing); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (b *bench) setupRun(ctx context.Context, n, i int, standing bool) error {
	key := strconv.Itoa(n)
	if standing {
		key += "-standing"
	}
	spec := nodeSpec{stations: n, agents: n, record: true, profile: fmt.Sprintf("setup-%s-%d.pprof", key, i+1)}
	return b.withNode(ctx, spec, func(base loadgen.Config) error {
		base.Standing = standing
		rep, err := loadgen.SetupTimes(ctx, base, n)
		if rep != nil {
			rep.Print(os.Stdout)
			b.results.Setup[key] = append(b.results.Setup[key], rep)
		}
		return err
	})
}

func (b *bench) queue(ctx context.Context) error {
	waiting, decisions := b.scale(1000, 100), b.scale(200, 20)
	for range b.repeat {
		err := b.withNode(ctx, nodeSpec{stations: waiting, agents: 1, record: true}, func(base loadgen.Config) error {
			rep, err := loadgen.QueueRouting(ctx, base, waiting, decisions)
			if err != nil {
				return err
			}
			rep.Print(os.Stdout)
			b.results.Queue = append(b.results.Queue, rep)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
