// Command cloudwindow runs a Cloud Window node: the HTTP API, signaling,
// SFU, recorder and both web apps in one process. `cloudwindow admin …`
// manages accounts from the shell.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones on machines without the tz database

	"cloudwindow/auth"
	"cloudwindow/node"
	"cloudwindow/stationlink"
	"cloudwindow/stats"
	"cloudwindow/store"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // --help has printed the usage
		}
		fmt.Fprintln(os.Stderr, "cloudwindow:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	cfg, logLevel, err := parseConfig(args)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))
	slog.SetDefault(cfg.Logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if rest := cfg.rest; len(rest) > 0 {
		return subcommand(ctx, cfg.Config, rest)
	}
	n, err := node.Start(ctx, cfg.Config)
	if err != nil {
		return err
	}
	<-ctx.Done()
	cfg.Logger.Info("shutting down: ending calls and finalising recordings")
	return n.Close()
}

func subcommand(ctx context.Context, cfg node.Config, args []string) error {
	switch args[0] {
	case "admin":
		db, err := store.Open(ctx, cfg.StoreURL())
		if err != nil {
			return fmt.Errorf("open store: %w", err)
		}
		defer db.Close()
		if len(args) > 1 && args[1] == "seed-calls" {
			return stats.RunSeedCalls(ctx, db, cfg.Location, args[2:], os.Stdout)
		}
		if len(args) > 1 && args[1] == "stats-rollup" {
			return stats.RunRollup(ctx, db, cfg.Location, args[2:], os.Stdout)
		}
		opts, err := node.AuthOptions(cfg)
		if err != nil {
			return err
		}
		svc, err := auth.NewService(db, opts)
		if err != nil {
			return err
		}
		if len(args) > 1 && args[1] == "station-link" {
			return cliStationLink(ctx, svc, stationlink.NewStore(db), args[2:], os.Stdout)
		}
		return runAdmin(ctx, svc, args[1:], os.Stdout)
	default:
		return fmt.Errorf("unknown command %q (commands: admin)", args[0])
	}
}
