package stats

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"cloudwindow/catalog"
	"cloudwindow/store"
)

// RunSeedCalls is `cloudwindow admin seed-calls`: it fills a month with
// synthetic calls for measuring the statistics. For test data dirs only.
func RunSeedCalls(ctx context.Context, db *store.DB, loc *time.Location, args []string, out io.Writer) error {
	if loc == nil {
		loc = time.Local
	}
	fs := flag.NewFlagSet("cloudwindow admin seed-calls", flag.ContinueOnError)
	fs.SetOutput(out)
	count := fs.Int("count", 100000, "call requests to make (about 6 % go unanswered)")
	month := fs.String("month", time.Now().In(loc).Format("2006-01"), "the month to fill, YYYY-MM")
	stations := fs.Int("stations", 40, "stations (every fifth an island)")
	agents := fs.Int("agents", 20, "agents")
	seed := fs.Uint64("seed", 1, "random seed: the same seed makes the same calls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m, err := time.ParseInLocation("2006-01", *month, loc)
	if err != nil {
		return fmt.Errorf("--month %q is not YYYY-MM", *month)
	}
	cat := catalog.NewService(db, slog.New(slog.DiscardHandler))
	if err := cat.Seed(ctx); err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	items, err := cat.Items(ctx, catalog.Query{})
	if err != nil {
		return fmt.Errorf("list items: %w", err)
	}
	started := time.Now()
	o := SeedOptions{Calls: *count, Month: m, Stations: *stations, Agents: *agents, Items: items, Seed: *seed}
	if err := Seed(ctx, db, o); err != nil {
		return err
	}
	fmt.Fprintf(out, "seeded %d call requests in %s in %s\n", *count, *month, time.Since(started).Round(time.Millisecond))
	return nil
}

// RunRollup is `cloudwindow admin stats-rollup`: it computes the daily
// roll-up of the statistics again from the records, for the closed days
// from..to (inclusive), or every day since the first request. Safe while
// nodes run: they wait for it, then read the new figures.
func RunRollup(ctx context.Context, db *store.DB, loc *time.Location, args []string, out io.Writer) error {
	if loc == nil {
		loc = time.Local
	}
	fs := flag.NewFlagSet("cloudwindow admin stats-rollup", flag.ContinueOnError)
	fs.SetOutput(out)
	fromS := fs.String("from", "", "first day, YYYY-MM-DD (default: the day of the first request)")
	toS := fs.String("to", "", "last day, YYYY-MM-DD (default: yesterday)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s := NewService(db, nil, loc, time.Now, func(id string) string { return id }, nil)
	var from, to time.Time
	if *fromS != "" || *toS != "" {
		p, err := customPeriod(*fromS, *toS, loc)
		if err != nil {
			return fmt.Errorf("--from/--to: %w", err)
		}
		from, to = p.From, p.To
	}
	started := time.Now()
	n, err := s.Rebuild(ctx, from, to)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "rolled up %d days in %s\n", n, time.Since(started).Round(time.Millisecond))
	return nil
}
