// Command linkemu relays UDP and TCP on loopback through an emulated link, so that a
// node, a browser or the load generator can be tried on a remote station's link.
//
//	linkemu -profile island-weak -udp 127.0.0.2:50000=127.0.0.1:50000 -tcp 127.0.0.1:9080=127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"cloudwindow/linkemu"
)

// relays collects repeated listen=target flags.
type relays []string

func (r *relays) String() string     { return strings.Join(*r, ",") }
func (r *relays) Set(v string) error { *r = append(*r, v); return nil }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "linkemu:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("linkemu", flag.ContinueOnError)
	profile := fs.String("profile", "island-weak", "link profile: "+strings.Join(linkemu.Names(), ", "))
	seed := fs.Uint64("seed", 1, "seed of the random losses")
	every := fs.Duration("stats", 5*time.Second, "how often to print the link's counters (0 = never)")
	var udp, tcp relays
	fs.Var(&udp, "udp", "listen=target UDP relay, repeatable (e.g. 127.0.0.2:50000=127.0.0.1:50000)")
	fs.Var(&tcp, "tcp", "listen=target TCP relay, repeatable (ICE-TCP, WebSocket, TURN)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	p, err := linkemu.Lookup(*profile)
	if err != nil {
		return err
	}
	if len(udp)+len(tcp) == 0 {
		return fmt.Errorf("nothing to relay: give -udp and/or -tcp listen=target")
	}
	link := linkemu.New(p, *seed)
	defer link.Close()
	if err := start(link, udp, link.RelayUDP, "udp"); err != nil {
		return err
	}
	if err := start(link, tcp, link.RelayTCP, "tcp"); err != nil {
		return err
	}
	fmt.Printf("link profile %s: up %+v, down %+v\n", p.Name, p.Up, p.Down)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report(ctx, link, *every)
	return nil
}

func start(link *linkemu.Link, specs relays, relay func(listen, target string) (net.Addr, error), kind string) error {
	for _, spec := range specs {
		listen, target, ok := strings.Cut(spec, "=")
		if !ok {
			return fmt.Errorf("%s relay %q: want listen=target", kind, spec)
		}
		addr, err := relay(listen, target)
		if err != nil {
			return err
		}
		fmt.Printf("%s %s -> %s\n", kind, addr, target)
	}
	return nil
}

// report prints the counters until ctx ends, and once more at the end.
func report(ctx context.Context, link *linkemu.Link, every time.Duration) {
	show := func() {
		up, down := link.Stats()
		fmt.Printf("up   %+v\ndown %+v\n", up, down)
	}
	defer show()
	if every <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			show()
		}
	}
}
