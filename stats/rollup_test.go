package stats

import (
	"context"
	"log/slog"
	"reflect"
	"sync"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/rectify"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// clock is a settable "now" for the service under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// comparedPeriods are closed, live and mixed periods around 18 November.
var comparedPeriods = [][4]string{
	{Month, "2026-11-01", "", ""},
	{Week, "2026-11-16", "", ""}, // two closed days, today, four to come
	{Week, "2026-11-09", "", ""},
	{Day, "2026-11-10", "", ""},
	{Day, "2026-11-18", "", ""},
	{Custom, "", "2026-10-25", "2026-12-05"},
}

// sameAsDirect checks that every compared period reads the same from the
// roll-up as from the records alone, and returns the month's report.
func sameAsDirect(t *testing.T, s *Service) Report {
	t.Helper()
	ctx := context.Background()
	var month Report
	for _, c := range comparedPeriods {
		p, err := s.Period(c[0], c[1], c[2], c[3])
		must(t, err)
		got, err := s.Report(ctx, p)
		must(t, err)
		want, err := s.direct(ctx, p)
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v: the roll-up differs from the records\n got %+v\nwant %+v", c, got.Total, want.Total)
			diffRows(t, got, want)
		}
		if c[0] == Month {
			month = got
		}
	}
	return month
}

func diffRows(t *testing.T, got, want Report) {
	t.Helper()
	for _, by := range Breakdowns {
		g, w := got.Rows(by), want.Rows(by)
		for i := range min(len(g), len(w)) {
			if !reflect.DeepEqual(g[i], w[i]) {
				t.Errorf("%s row %d\n got %+v\nwant %+v", by, i, g[i], w[i])
			}
		}
		if len(g) != len(w) {
			t.Errorf("%s: %d rows, want %d", by, len(g), len(w))
		}
	}
}

// TestRollUpEqualsTheRecords seeds a month of calls (a generated set and
// the hand-counted one) with "now" in the middle of it, and checks that
// the statistics read through the daily roll-up equal those computed from
// the records alone: at first, after changes made late to closed days, as
// days close, and after a rebuild.
func TestRollUpEqualsTheRecords(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		items := []catalog.Item{{ID: "med1", NameZh: "医保事项", Category: "medical_insurance"}, {ID: "soc1", NameZh: "社保事项", Category: "social_security"}}
		must(t, Seed(ctx, db, SeedOptions{Calls: 2500, Month: nov(1, 0, 0), Stations: 6, Agents: 4, Items: items, Seed: 3}))
		seed(t, db, knownCalls, knownAbandoned)
		clk := &clock{t: nov(18, 11, 0)}
		s := newTestService(db)
		s.now = clk.now

		before := sameAsDirect(t, s)
		if n := count(t, db, `SELECT COUNT(*) FROM stats_days WHERE day < '2026-11-18'`); n == 0 {
			t.Fatal("nothing was rolled up")
		}
		if n := count(t, db, `SELECT COUNT(*) FROM stats_dirty`); n != 0 {
			t.Errorf("%d marks left after a report", n)
		}

		changeClosedDays(t, ctx, db, clk)
		after := sameAsDirect(t, s)
		if after.Total.Rated != before.Total.Rated+1 || after.Total.Outcomes.None != before.Total.Outcomes.None-1 ||
			after.Total.BadFollowedUp != before.Total.BadFollowedUp+1 {
			t.Errorf("late changes not counted: before %+v\nafter %+v", before.Total, after.Total)
		}

		clk.set(nov(25, 9, 0)) // a week on: more days closed, more cases overdue
		sameAsDirect(t, s)

		_, err := db.Exec(ctx, `UPDATE stats_daily SET requests = requests + 5 WHERE dim = 'total'`)
		must(t, err)
		if n, err := s.Rebuild(ctx, time.Time{}, time.Time{}); err != nil || n == 0 {
			t.Fatalf("rebuild: %d days, %v", n, err)
		}
		sameAsDirect(t, s)
	})
}

// changeClosedDays changes calls of days already rolled up the ways a
// center does: a late wrap-up, a rating, a case closed, a bad rating's
// follow-up fixed.
func changeClosedDays(t *testing.T, ctx context.Context, db *store.DB, clk *clock) {
	t.Helper()
	cs := calls.NewStore(db)
	must(t, cs.End(ctx, "c6", clk.now(), "hangup")) // 7 November, still running
	must(t, cs.WrapUp(ctx, "c6", "done", ""))
	_, err := cs.Rate(ctx, "s1", "c10", 5, "", clk.now()) // 12 November, not rated
	must(t, err)
	_, err = db.Exec(ctx, `UPDATE cases SET state = 'done', closed_at = ? WHERE call_id = 'c2'`, store.Millis(clk.now()))
	must(t, err)
	var open string
	err = db.QueryRow(ctx, `SELECT call_id FROM rectifications WHERE status = 'open' AND opened_at < ? ORDER BY call_id LIMIT 1`,
		store.Millis(nov(12, 0, 0))).Scan(&open)
	must(t, err)
	rs := rectify.NewService(db, audit.New(db), clk.now, slog.New(slog.DiscardHandler))
	_, err = rs.Update(ctx, open, rectify.StatusFixed, "已回访", boss)
	must(t, err)
}

func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	must(t, db.QueryRow(context.Background(), q).Scan(&n))
	return n
}
