// Package stats computes the center's statistics — requests, service
// level, waits, outcomes, ratings and their follow-up, overdue cases — for
// a period, by station, item, category and agent, from the durable record
// (calls, call requests, cases, ratings, rectifications), so every node
// gives the same figures. It also writes them as XLSX and CSV.
package stats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"cloudwindow/audit"
	"cloudwindow/catalog"
	"cloudwindow/store"
)

// Service computes reports.
type Service struct {
	db         *store.DB
	audit      *audit.Log
	loc        *time.Location
	now        func() time.Time
	categories func(id string) string
	log        *slog.Logger
}

// NewService returns a Service. categories names a category id (the id
// itself when unknown); loc is the center's time zone; logger (nil: none)
// gets the errors that callers only see as codes.
func NewService(db *store.DB, al *audit.Log, loc *time.Location, now func() time.Time, categories func(string) string, logger *slog.Logger) *Service {
	if loc == nil {
		loc = time.Local
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, audit: al, loc: loc, now: now, categories: categories, log: logger}
}

// Period parses a period in the center's time zone (see ParsePeriod).
func (s *Service) Period(kind, anchor, from, to string) (Period, error) {
	return ParsePeriod(kind, anchor, from, to, s.now(), s.loc)
}

// Slack around the period when reading the records joined to its calls:
// a call is accepted (its case opened) within hours of its request, and
// rated (a bad rating opening its rectification) on the kiosk as it ends.
// Reading each table by its own time and joining here keeps every read a
// range scan: a lookup per call is what made a month slow.
const (
	requestSlack = time.Hour          // a request's time and its call's may differ by a moment
	caseSlack    = 2 * 24 * time.Hour // cases open when the call is accepted
	ratingSlack  = 7 * 24 * time.Hour // ratings are given on the kiosk as the call ends
)

// Report computes the statistics of the requests made in p. The tables
// are read side by side, then joined here.
func (s *Service) Report(ctx context.Context, p Period) (Report, error) {
	var (
		pc       *periodCalls
		cases    map[string]caseInfo
		ratings  map[string]int
		rects    map[string]rectInfo
		requests []*row
		bookings BookingsSum
	)
	err := parallel(
		func() (err error) { pc, err = s.calls(ctx, p); return err },
		func() (err error) { cases, err = s.cases(ctx, p); return err },
		func() (err error) { ratings, err = s.ratings(ctx, p); return err },
		func() (err error) { rects, err = s.rectifications(ctx, p); return err },
		func() (err error) { requests, err = s.requests(ctx, p); return err },
		func() (err error) { bookings, err = s.bookings(ctx, p); return err },
	)
	if err != nil {
		return Report{}, err
	}
	g := newGroups(s.categories)
	today := s.now().In(s.loc).Format(time.DateOnly)
	for _, r := range pc.list {
		c, x := cases[r.id], rects[r.id]
		r.dueDate, r.closedDay, r.score = c.due, c.closedDay, ratings[r.id]
		r.rectStatus, r.rectDue, r.fixedAt = x.status, x.due, x.fixed
		for _, a := range g.of(r) {
			a.addAnswered(r, today)
		}
	}
	for _, r := range requests {
		if pc.all[r.id] {
			continue // answered
		}
		for _, a := range g.of(r) {
			a.addAbandoned()
		}
	}
	rep := g.report(p)
	rep.Bookings = bookings
	return rep, nil
}

// parallel runs fns at once and returns the first error.
func parallel(fns ...func() error) error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// periodCalls are the calls requested in a period; all also holds the ids
// of calls requested just around it, which answered its requests too.
type periodCalls struct {
	list []*row
	all  map[string]bool
}

const callsQuery = `SELECT id, station_id, station_name, island, agent_id, agent_name, item_id, item_name,
	category, requested_at, accepted_at, ended_at, outcome
FROM calls WHERE requested_at >= ? AND requested_at < ?`

func (s *Service) calls(ctx context.Context, p Period) (*periodCalls, error) {
	pc := &periodCalls{all: map[string]bool{}}
	from, to := store.Millis(p.From), store.Millis(p.To)
	err := s.scan(ctx, "calls", callsQuery, func(rows *sql.Rows) error {
		r := &row{}
		var req, acc, end int64
		err := rows.Scan(&r.id, &r.stationID, &r.stationName, &r.island, &r.agentID, &r.agentName, &r.itemID, &r.itemName,
			&r.category, &req, &acc, &end, &r.outcome)
		if err != nil {
			return err
		}
		pc.all[r.id] = true
		if req >= from && req < to {
			r.requested, r.accepted, r.ended = store.Time(req), store.Time(acc), store.Time(end)
			pc.list = append(pc.list, r)
		}
		return nil
	}, store.Millis(p.From.Add(-requestSlack)), store.Millis(p.To.Add(requestSlack)))
	return pc, err
}

// caseInfo is what the statistics need of a call's case.
type caseInfo struct{ due, closedDay string }

func (s *Service) cases(ctx context.Context, p Period) (map[string]caseInfo, error) {
	out := map[string]caseInfo{}
	q := `SELECT call_id, due_date, closed_at FROM cases WHERE opened_at >= ? AND opened_at < ?`
	err := s.scan(ctx, "cases", q, func(rows *sql.Rows) error {
		var id string
		var c caseInfo
		var closed int64
		if err := rows.Scan(&id, &c.due, &closed); err != nil {
			return err
		}
		if closed > 0 {
			c.closedDay = store.Time(closed).In(s.loc).Format(time.DateOnly)
		}
		out[id] = c
		return nil
	}, store.Millis(p.From), store.Millis(p.To.Add(caseSlack)))
	return out, err
}

func (s *Service) ratings(ctx context.Context, p Period) (map[string]int, error) {
	out := map[string]int{}
	q := `SELECT call_id, score FROM ratings WHERE at >= ? AND at < ?`
	err := s.scan(ctx, "ratings", q, func(rows *sql.Rows) error {
		var id string
		var score int
		if err := rows.Scan(&id, &score); err != nil {
			return err
		}
		out[id] = score
		return nil
	}, store.Millis(p.From), store.Millis(p.To.Add(ratingSlack)))
	return out, err
}

// rectInfo is a bad rating's follow-up and when it was first fixed.
type rectInfo struct {
	status     string
	due, fixed time.Time
}

func (s *Service) rectifications(ctx context.Context, p Period) (map[string]rectInfo, error) {
	out := map[string]rectInfo{}
	q := `SELECT x.call_id, x.status, x.due_at,
		COALESCE((SELECT MIN(f.at) FROM rectification_steps f WHERE f.call_id = x.call_id AND f.status = 'fixed'), 0)
	FROM rectifications x WHERE x.opened_at >= ? AND x.opened_at < ?`
	err := s.scan(ctx, "rectifications", q, func(rows *sql.Rows) error {
		var id string
		var x rectInfo
		var due, fixed int64
		if err := rows.Scan(&id, &x.status, &due, &fixed); err != nil {
			return err
		}
		x.due, x.fixed = store.Time(due), store.Time(fixed)
		out[id] = x
		return nil
	}, store.Millis(p.From), store.Millis(p.To.Add(ratingSlack)))
	return out, err
}

// requests reads the period's call requests, answered or not.
func (s *Service) requests(ctx context.Context, p Period) ([]*row, error) {
	var out []*row
	q := `SELECT id, station_id, station_name, island, item_id, item_name, category
	FROM call_requests WHERE requested_at >= ? AND requested_at < ?`
	err := s.scan(ctx, "call requests", q, func(rows *sql.Rows) error {
		r := &row{}
		if err := rows.Scan(&r.id, &r.stationID, &r.stationName, &r.island, &r.itemID, &r.itemName, &r.category); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	}, store.Millis(p.From), store.Millis(p.To))
	return out, err
}

// scan runs query and hands each row to fn.
func (s *Service) scan(ctx context.Context, what, query string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := s.db.Query(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// CategoryNames names category ids by the catalog's categories, in Chinese.
func CategoryNames(cats []catalog.Category) func(string) string {
	names := make(map[string]string, len(cats))
	for _, c := range cats {
		names[c.ID] = c.NameZh
	}
	return func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return id
	}
}
