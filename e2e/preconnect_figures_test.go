package e2e

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"cloudwindow/client"
)

// The figures of pre-connected media for BENCHMARKS.md ("Pre-connected
// media"): accept → first media at both ends, with standing connections and
// per call, alternated call by call on the same node. They run only with
// CLOUDWINDOW_PRECONNECT_FIGURES=<calls per mode> and assert nothing about
// the figures.
func preconnectFigureCalls(t *testing.T) int {
	n, _ := strconv.Atoi(os.Getenv("CLOUDWINDOW_PRECONNECT_FIGURES"))
	if n <= 0 {
		t.Skip("set CLOUDWINDOW_PRECONNECT_FIGURES=<calls per mode> to measure pre-connected media")
	}
	return n
}

// callPause is the figure loop's pause between calls.
const callPause = time.Second

// firstPacket notes when a side first hears the other.
type firstPacket struct{ at atomic.Int64 }

func (f *firstPacket) onPacket(string, string, *rtp.Packet) {
	f.at.CompareAndSwap(0, time.Now().UnixNano())
}

// pacer sends synthetic frames on whatever media are current.
type pacer struct {
	mu   sync.Mutex
	ms   []*client.Media
	stop chan struct{}
	done chan struct{}
}

func startPacer(t *testing.T) *pacer {
	p := &pacer{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		tick := time.NewTicker(client.FrameInterval)
		defer tick.Stop()
		for n := uint32(0); ; n++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			p.mu.Lock()
			for _, m := range p.ms {
				m.SendSynthetic(n)
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() { close(p.stop); <-p.done })
	return p
}

func (p *pacer) set(ms ...*client.Media) {
	p.mu.Lock()
	p.ms = ms
	p.mu.Unlock()
}

// machineBusy is the share of the whole machine's CPU time that was busy
// since the given /proc/stat sample.
func machineBusy(since [2]float64) float64 {
	now := procStat()
	if now[0] == since[0] {
		return 0
	}
	return 1 - (now[1]-since[1])/(now[0]-since[0])
}

// procStat returns total and idle (idle + iowait) ticks.
func procStat() [2]float64 {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	var total, idle float64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i == 3 || i == 4 {
			idle += v
		}
	}
	return [2]float64{total, idle}
}

func TestPreconnectFiguresGo(t *testing.T) {
	calls := preconnectFigureCalls(t)
	n := startNode(t, preconnectOn)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	agent.Ignore("queue.stats", "queue.position", "call.peer_state", "recording.status", "case.updated", "call.link")
	station.Ignore("queue.stats", "queue.position", "call.peer_state", "recording.status", "case.updated", "call.link")
	ready(t, agent)
	item := itemOf(t, n, "medical_insurance")
	p := startPacer(t)
	times := map[bool][]time.Duration{}
	cpu := procStat()
	for i := 0; i < 2*calls; i++ {
		standing := i%2 == 0
		times[standing] = append(times[standing], goCallSetup(t, station, agent, item, p, standing))
		// Calls back to back send more than the node's message rate (20 a
		// second per session), which then reads each message up to 50 ms
		// late: a pause lets the allowance refill, as a person's pace does,
		// so that the figure is the set-up and not the throttle.
		time.Sleep(callPause)
	}
	busy := machineBusy(cpu)
	for _, standing := range []bool{true, false} {
		t.Logf("standing=%v %s", standing, summary(times[standing]))
	}
	t.Logf("machine busy %.0f %% over the run", busy*100)
}

// goCallSetup runs one call and returns accept → first media at both ends.
func goCallSetup(t *testing.T, station, agent *client.Client, item string, p *pacer, standing bool) time.Duration {
	t.Helper()
	ctx := ctxT(t)
	atStation, atAgent := &firstPacket{}, &firstPacket{}
	var sm, am *client.Media
	var err error
	if standing {
		if am, err = agent.StartStandby(ctx, client.MediaOptions{OnPacket: atAgent.onPacket}); err != nil {
			t.Fatal(err)
		}
	}
	reqID := field[string](t, request(t, station, "call.request", map[string]any{"item_id": item}), "request_id")
	if standing {
		if sm, err = station.StartStandby(ctx, client.MediaOptions{OnPacket: atStation.onPacket}); err != nil {
			t.Fatal(err)
		}
		p.set(sm, am)
		for !sm.Connected() || !am.Connected() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	next(t, agent, "call.offer")
	start := time.Now()
	callID := field[string](t, request(t, agent, "call.accept", map[string]string{"request_id": reqID}), "call_id")
	next(t, station, "call.started")
	if !standing {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			sm, _ = station.StartMedia(ctx, callID, client.MediaOptions{OnPacket: atStation.onPacket})
		}()
		go func() {
			defer wg.Done()
			am, _ = agent.StartMedia(ctx, callID, client.MediaOptions{OnPacket: atAgent.onPacket})
		}()
		wg.Wait()
		if sm == nil || am == nil {
			t.Fatal("media per call did not start")
		}
		p.set(sm, am)
	}
	for atStation.at.Load() == 0 || atAgent.at.Load() == 0 {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("standing=%v: no media within 20 s (the station received %v, the agent %v)", standing, sm.Received(), am.Received())
		}
		time.Sleep(time.Millisecond)
	}
	took := time.Unix(0, max(atStation.at.Load(), atAgent.at.Load())).Sub(start)
	p.set()
	request(t, station, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	next(t, agent, "call.ended")
	sm.Close()
	am.Close()
	request(t, agent, "call.wrapup", map[string]string{"call_id": callID, "outcome": "done", "notes": ""})
	waitAgentState(t, agent, "ready")
	return took
}

// summary is "p50 … p95 … (all: …)" of some set-up times.
func summary(ds []time.Duration) string {
	s := slices.Clone(ds)
	slices.Sort(s)
	pick := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	all := make([]string, len(ds))
	for i, d := range ds {
		all[i] = fmt.Sprint(d.Round(100 * time.Microsecond))
	}
	return fmt.Sprintf("n=%d p50 %v p95 %v max %v (in order: %s)", len(s), pick(0.5).Round(100*time.Microsecond),
		pick(0.95).Round(100*time.Microsecond), s[len(s)-1].Round(100*time.Microsecond), strings.Join(all, " "))
}
