// Command loadgen loads a Cloud Window node with synthetic stations and
// agents over the real protocol and measures it; `loadgen bench` runs every
// benchmark scenario against freshly started nodes and writes the figures
// BENCHMARKS.md quotes. See BENCHMARKS.md for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"cloudwindow/loadgen"
)

const usage = `usage: loadgen <command> [flags]   (loadgen <command> -h for its flags)

commands:
  setup       create the load accounts in a node's data dir (before the node starts)
  run         drive calls against a running node and report
  idle        keep N stations connected and idle; node memory and CPU
  ramp        raise concurrent calls step by step until loss or CPU limits
  setuptime   start N calls at once; call setup percentiles
  queue       N waiting requests; time per routing decision
  relay       serve the bare UDP relay baseline
  relayload   send a call pattern through a running relay
  bench       start nodes and a relay and run every scenario (the BENCHMARKS.md figures)
  node        run a node in this process, optionally under the CPU profiler`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.Is(err, loadgen.ErrTooManyFailures):
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	case err != nil:
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return flag.ErrHelp
	}
	commands := map[string]func(context.Context, []string) error{
		"setup": cmdSetup, "run": cmdRun, "idle": cmdIdle, "ramp": cmdRamp, "setuptime": cmdSetupTime,
		"queue": cmdQueue, "relay": cmdRelay, "relayload": cmdRelayLoad, "bench": cmdBench, "node": cmdNode,
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintln(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return cmd(ctx, args[1:])
}
