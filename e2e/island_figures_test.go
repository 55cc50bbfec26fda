package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudwindow/linkemu"
)

// TestIslandLinkFigures measures calls over each island profile, with downlink
// adaptation on and off, for BENCHMARKS.md ("Island links"). It takes a few
// minutes, so it runs only with CLOUDWINDOW_ISLAND_FIGURES=1 (or a comma-separated
// list of profiles).
func TestIslandLinkFigures(t *testing.T) {
	want := os.Getenv("CLOUDWINDOW_ISLAND_FIGURES")
	if want == "" {
		t.Skip("set CLOUDWINDOW_ISLAND_FIGURES=1 to measure the island link figures")
	}
	profiles := []string{"island-4g", "island-weak", "island-bad", "outage-30s"}
	if want != "1" {
		profiles = strings.Split(want, ",")
	}
	var rows []string
	for _, name := range profiles {
		for _, adapt := range []bool{true, false} {
			rows = append(rows, islandFigures(t, name, adapt))
		}
	}
	t.Logf("\n| profile | adaptation | audio heard at station | agent video reaching station | first pause after | pauses | resumed after recovery | call alive |\n|---|---|---|---|---|---|---|---|\n%s",
		strings.Join(rows, "\n"))
}

// recovery is how long the good link after a profile's phase is watched: paused
// video is tried again at most every ProbeMax (4 s by default).
const recovery = 20 * time.Second

// islandFigures runs one call: the station's downlink on the profile for its
// phase, then a good link for the recovery time. It returns a table row.
func islandFigures(t *testing.T, name string, adapt bool) string {
	p := linkemu.Profiles[name]
	p.Up = linkemu.Profiles["good"].Up // see islandWeakDown
	phase := 15 * time.Second
	if name == "outage-30s" {
		phase = 45 * time.Second
	}
	var row string
	t.Run(fmt.Sprintf("%s/adapt=%v", name, adapt), func(t *testing.T) {
		c := startIslandCall(t, p, adapt)
		start := time.Now()
		notes := watchPauses(t, c)
		time.Sleep(phase)
		sent := c.ag.audioSent.Load()
		video := c.atStation.get("agent-main/camera")
		c.link.SetProfile(linkemu.Profiles["good"])
		recovered := time.Now()
		time.Sleep(recovery)
		alive := c.alive()
		c.stopMedia()
		first := min(c.atStation.firstHeard(), uint32(sent)) // nothing heard: 0 of 0
		heard := c.atStation.heardFrom(first) - c.atStation.heardFrom(uint32(sent))
		sent -= int64(first)
		firstPause, resumed, pauses := notes.summary(start, recovered)
		row = fmt.Sprintf("| %s | %v | %.1f %% (%d of %d) | %.1f pkt/s of 50 | %s | %d | %s | %v |", name, onOff(adapt),
			pct(heard, sent), heard, sent, float64(video)/recovered.Sub(start).Seconds(), firstPause, pauses, resumed, alive)
		t.Log(row)
	})
	return row
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// pauseLog records the call.video_paused messages about the station.
type pauseLog struct {
	mu    sync.Mutex
	times []time.Time
	state []bool
}

func watchPauses(t *testing.T, c *islandCall) *pauseLog {
	l := &pauseLog{}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go func() {
		for {
			m, err := c.station.Next(ctx, "call.video_paused")
			if err != nil {
				return
			}
			var d struct {
				Party  string `json:"party"`
				Paused bool   `json:"paused"`
			}
			json.Unmarshal(m.Data, &d)
			if d.Party == "station" {
				l.mu.Lock()
				l.times, l.state = append(l.times, time.Now()), append(l.state, d.Paused)
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// summary: time to the first pause, number of pauses, and time from the link's
// recovery to the resume that followed it.
func (l *pauseLog) summary(start, recovered time.Time) (first string, resumed string, pauses int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first, resumed = "none", "—"
	for i, at := range l.times {
		if l.state[i] {
			if pauses == 0 {
				first = at.Sub(start).Round(100 * time.Millisecond).String()
			}
			pauses++
		} else if at.After(recovered) && resumed == "—" {
			resumed = at.Sub(recovered).Round(100 * time.Millisecond).String()
		}
	}
	if pauses > 0 && resumed == "—" && len(l.state) > 0 && !l.state[len(l.state)-1] {
		resumed = "before recovery"
	}
	return first, resumed, pauses
}
