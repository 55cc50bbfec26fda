// Command livekitbench runs LiveKit's SFU (livekit-server, built from the
// module proxy) under the same forwarding load as cloudwindow's load
// generator and prints what it costs: forwarded RTP packets, counted by
// LiveKit itself, per second of the server's CPU. `loadgen bench -peer
// livekit` runs it between runs of cloudwindow's node. It is a module of its
// own so that LiveKit's dependencies stay out of the product.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// result is what one run measured; loadgen reads it as JSON.
type result struct {
	Server              string  `json:"server"`
	Rooms               int     `json:"rooms"`
	WindowSeconds       float64 `json:"window_s"`
	ForwardedPackets    float64 `json:"forwarded_packets"`  // LiveKit's outgoing "initial" RTP
	RetransmitPackets   float64 `json:"retransmit_packets"` // LiveKit's outgoing NACK resends
	SubscriberReceived  uint64  `json:"subscriber_received"`
	PublisherSent       uint64  `json:"publisher_sent"`
	ServerCPUSeconds    float64 `json:"server_cpu_s"`
	ServerCores         float64 `json:"server_cores"`
	LoadgenCPUSeconds   float64 `json:"loadgen_cpu_s"`
	LoadgenCores        float64 `json:"loadgen_cores"`
	CPUPressurePct      float64 `json:"cpu_pressure_pct"`
	PacketsPerCPUSecond float64 `json:"forwarded_per_server_cpu_s"`
}

func main() {
	rooms := flag.Int("rooms", 30, "one-way rooms: a publisher and a subscriber each")
	hold := flag.Duration("hold", 30*time.Second, "measurement window")
	warmup := flag.Duration("warmup", 5*time.Second, "time after the last room joined before the window")
	stagger := flag.Duration("stagger", 100*time.Millisecond, "time between room starts (loadgen: 10 calls/s)")
	kbps := flag.Int("video-kbps", 1900, "video bit rate per publisher")
	size := flag.Int("packet-size", 1100, "video payload bytes per packet")
	bin := flag.String("server-bin", "", "livekit-server binary (default: go install "+livekitVersion+" into the user cache once)")
	installOnly := flag.Bool("install", false, "only install livekit-server and print its path")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *installOnly, *rooms, *hold, *warmup, *stagger, syntheticPattern(*kbps*1000, *size)); err != nil {
		fmt.Fprintln(os.Stderr, "livekitbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin string, installOnly bool, rooms int, hold, warmup, stagger time.Duration, pat *pattern) error {
	if bin == "" {
		var err error
		if bin, err = installLivekit(); err != nil {
			return err
		}
	}
	if installOnly {
		fmt.Println(bin)
		return nil
	}
	if l, err := logger.NewZapLogger(&logger.Config{Level: "warn"}); err == nil {
		lksdk.SetLogger(l) // the SDK logs every join at info
	}
	srv, err := startServer(ctx, bin)
	if err != nil {
		return err
	}
	defer srv.stop()
	res, err := measure(ctx, srv, rooms, hold, warmup, stagger, pat)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// measure starts the rooms staggered, lets them settle and measures a
// window between two updates of LiveKit's counters.
func measure(ctx context.Context, srv *server, n int, hold, warmup, stagger time.Duration, pat *pattern) (*result, error) {
	mediaCtx, stopMedia := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var all []*room
	defer func() {
		stopMedia()
		for _, r := range all {
			r.close()
		}
		wg.Wait()
	}()
	for i := range n {
		r, err := joinRoom(mediaCtx, &wg, srv.url, fmt.Sprintf("bench-%d", i), pat)
		if err != nil {
			return nil, err
		}
		all = append(all, r)
		time.Sleep(stagger)
	}
	time.Sleep(warmup)
	a, err := markAtUpdate(ctx, srv, 20*time.Second)
	if err != nil {
		return nil, err
	}
	sentA, recvA := counts(all)
	time.Sleep(hold)
	b, err := markAtUpdate(ctx, srv, 20*time.Second)
	if err != nil {
		return nil, err
	}
	sentB, recvB := counts(all)
	return summarize(n, a, b, sentB-sentA, recvB-recvA), nil
}

func counts(rooms []*room) (sent, received uint64) {
	for _, r := range rooms {
		sent += r.send.sent.Load()
		received += r.received.Load()
	}
	return sent, received
}

func summarize(n int, a, b mark, sent, received uint64) *result {
	secs := b.at.Sub(a.at).Seconds()
	cpu := b.serverCPU - a.serverCPU
	res := &result{
		Server: "livekit-server " + livekitVersion, Rooms: n, WindowSeconds: secs,
		ForwardedPackets:   b.packets.initial - a.packets.initial,
		RetransmitPackets:  b.packets.retransmit - a.packets.retransmit,
		SubscriberReceived: received, PublisherSent: sent,
		ServerCPUSeconds: cpu, ServerCores: cpu / secs,
		LoadgenCPUSeconds: b.selfCPU - a.selfCPU, LoadgenCores: (b.selfCPU - a.selfCPU) / secs,
		CPUPressurePct: cpuPressure(),
	}
	if cpu > 0 {
		res.PacketsPerCPUSecond = res.ForwardedPackets / cpu
	}
	return res
}
