package loadgen

import (
	"context"
	"fmt"
	"io"
	"time"

	"cloudwindow/client"
)

// IdleReport is what connected, idle stations cost the node.
type IdleReport struct {
	Stations        int     `json:"stations"`
	ConnectSeconds  float64 `json:"connect_s"`
	RSSBeforeMB     float64 `json:"rss_before_mb"`
	RSSAfterMB      float64 `json:"rss_after_mb"`
	RSSPerStationKB float64 `json:"rss_per_station_kb"`
	IdleSeconds     float64 `json:"idle_s"`
	IdleCPUCores    float64 `json:"idle_cpu_cores"`
}

// settleTime lets the node finish the sign-in work before idling is measured.
const settleTime = 5 * time.Second

// Idle signs cfg.Stations stations in and keeps them connected and idle
// for idleFor, measuring the node's resident memory before and after and
// its CPU while they idle.
func Idle(ctx context.Context, cfg Config, idleFor time.Duration) (*IdleReport, error) {
	cfg.setDefaults()
	if err := CheckLoopback(cfg.BaseURL); err != nil {
		return nil, err
	}
	probe := Probe{BaseURL: cfg.BaseURL, PID: cfg.ServerPID}
	before, err := probe.Sample(ctx)
	if err != nil {
		return nil, err
	}
	clients := make([]*client.Client, cfg.Stations)
	defer closeAll(clients)
	err = forEach(ctx, cfg.Stations, func(ctx context.Context, i int) error {
		c, _, err := signIn(ctx, cfg.BaseURL, StationUsername(i), cfg.Password, stationPushes())
		clients[i] = c
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sign stations in: %w", err)
	}
	rep := &IdleReport{Stations: cfg.Stations, ConnectSeconds: round(time.Since(before.At).Seconds(), 2)}
	if !sleep(ctx, settleTime) {
		return nil, ctx.Err()
	}
	a, err := probe.Sample(ctx)
	if err != nil {
		return nil, err
	}
	if !sleep(ctx, idleFor) {
		return nil, ctx.Err()
	}
	b, err := probe.Sample(ctx)
	if err != nil {
		return nil, err
	}
	rep.RSSBeforeMB, rep.RSSAfterMB = round(before.RSSBytes/(1<<20), 1), round(b.RSSBytes/(1<<20), 1)
	rep.RSSPerStationKB = round((b.RSSBytes-before.RSSBytes)/1024/float64(cfg.Stations), 1)
	rep.IdleSeconds = round(b.At.Sub(a.At).Seconds(), 1)
	rep.IdleCPUCores = round((b.CPUSeconds-a.CPUSeconds)/b.At.Sub(a.At).Seconds(), 4)
	return rep, nil
}

// Print writes the report for people.
func (r *IdleReport) Print(w io.Writer) {
	fmt.Fprintf(w, "== idle: %d stations connected in %.1f s; node RSS %.1f → %.1f MB (%.1f KB per station); idle CPU %.4f cores over %.0f s\n",
		r.Stations, r.ConnectSeconds, r.RSSBeforeMB, r.RSSAfterMB, r.RSSPerStationKB, r.IdleCPUCores, r.IdleSeconds)
}

func closeAll(clients []*client.Client) {
	for _, c := range clients {
		if c != nil {
			c.Close()
		}
	}
}

// sleep waits for d and reports false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
