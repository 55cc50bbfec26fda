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
	rollup     rollup
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

// Slack around a day when reading the records joined to its calls: a call
// is accepted (its case opened) within hours of its request, and rated (a
// bad rating opening its rectification) on the kiosk as it ends. Reading
// each table by its own time and joining here keeps every read a range
// scan: a lookup per call is what made a month slow. The windows are per
// day of request, not per period, so a call counts the same in every
// period that holds it and days add up to months.
const (
	requestSlack = time.Hour          // a request's time and its call's may differ by a moment
	caseSlack    = 2 * 24 * time.Hour // cases open when the call is accepted
	ratingSlack  = 7 * 24 * time.Hour // ratings are given on the kiosk as the call ends
)

// Report computes the statistics of the requests made in p: closed days
// from the daily roll-up (brought up to date first), today and later from
// the records.
func (s *Service) Report(ctx context.Context, p Period) (Report, error) {
	today := midnight(s.now().In(s.loc))
	g := newGroups(true)
	if closedTo := minTime(p.To, today); p.From.Before(closedTo) {
		var err error
		if g, err = s.rolledUp(ctx, p.From, closedTo); err != nil {
			return Report{}, err
		}
	}
	if liveFrom := maxTime(p.From, today); liveFrom.Before(p.To) {
		live, err := s.compute(ctx, liveFrom, p.To)
		if err != nil {
			return Report{}, err
		}
		for _, d := range live {
			g.merge(d)
		}
	}
	return s.withBookings(ctx, p, g.report(p, today.Format(time.DateOnly), s.categories))
}

// withBookings adds the period's bookings and no-shows, counted apart from
// the appointments' own records, which the roll-up does not hold.
func (s *Service) withBookings(ctx context.Context, p Period, rep Report) (Report, error) {
	b, err := s.bookings(ctx, p)
	if err != nil {
		return Report{}, err
	}
	rep.Bookings = b
	return rep, nil
}

// direct computes the report from the records alone, without the roll-up:
// what the roll-up must always equal.
func (s *Service) direct(ctx context.Context, p Period) (Report, error) {
	days, err := s.compute(ctx, p.From, p.To)
	if err != nil {
		return Report{}, err
	}
	g := newGroups(true)
	for _, d := range days {
		g.merge(d)
	}
	return s.withBookings(ctx, p, g.report(p, s.now().In(s.loc).Format(time.DateOnly), s.categories))
}

// compute counts the requests made from from to to (midnights) from the
// records, per day ("YYYY-MM-DD"). The tables are read side by side, then
// joined here.
func (s *Service) compute(ctx context.Context, from, to time.Time) (map[string]*groups, error) {
	var (
		pc       *periodCalls
		cases    map[string]caseInfo
		ratings  map[string]ratingInfo
		rects    map[string]rectInfo
		requests []*row
	)
	err := parallel(
		func() (err error) { pc, err = s.calls(ctx, from, to); return err },
		func() (err error) { cases, err = s.cases(ctx, from, to); return err },
		func() (err error) { ratings, err = s.ratings(ctx, from, to); return err },
		func() (err error) { rects, err = s.rectifications(ctx, from, to); return err },
		func() (err error) { requests, err = s.requests(ctx, from, to); return err },
	)
	if err != nil {
		return nil, err
	}
	days := map[string]*groups{}
	var dc dayCache
	for _, r := range pc.list {
		d := dc.of(r.requested, s.loc)
		r.join(d, cases[r.id], ratings[r.id], rects[r.id])
		for _, p := range d.groups(days).of(r) {
			p.addAnswered(r)
		}
	}
	for _, r := range requests {
		d := dc.of(r.requested, s.loc)
		if at, ok := pc.all[r.id]; ok && d.around(at, requestSlack) {
			continue // answered
		}
		for _, p := range d.groups(days).of(r) {
			p.addAbandoned()
		}
	}
	return days, nil
}

// join takes in the call's case, rating and rectification when they were
// made within their slack of the call's day d.
func (r *row) join(d *day, c caseInfo, rt ratingInfo, x rectInfo) {
	if d.within(c.opened, caseSlack) {
		r.dueDate, r.closedDay = c.due, c.closedDay
	}
	if d.within(rt.at, ratingSlack) {
		r.score = rt.score
	}
	if d.within(x.opened, ratingSlack) {
		r.rectStatus, r.rectDue, r.fixedAt = x.status, x.due, x.fixed
	}
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

// periodCalls are the calls requested in a period; all also holds the
// request times of calls requested just around it, which answered its
// requests too.
type periodCalls struct {
	list []*row
	all  map[string]int64
}

const callsQuery = `SELECT id, station_id, station_name, island, agent_id, agent_name, item_id, item_name,
	category, requested_at, accepted_at, ended_at, outcome
FROM calls WHERE requested_at >= ? AND requested_at < ?`

func (s *Service) calls(ctx context.Context, fromT, toT time.Time) (*periodCalls, error) {
	pc := &periodCalls{all: map[string]int64{}}
	from, to := store.Millis(fromT), store.Millis(toT)
	err := s.scan(ctx, "calls", callsQuery, func(rows *sql.Rows) error {
		r := &row{}
		var req, acc, end int64
		err := rows.Scan(&r.id, &r.stationID, &r.stationName, &r.island, &r.agentID, &r.agentName, &r.itemID, &r.itemName,
			&r.category, &req, &acc, &end, &r.outcome)
		if err != nil {
			return err
		}
		pc.all[r.id] = req
		if req >= from && req < to {
			r.requested, r.accepted, r.ended = store.Time(req), store.Time(acc), store.Time(end)
			pc.list = append(pc.list, r)
		}
		return nil
	}, store.Millis(fromT.Add(-requestSlack)), store.Millis(toT.Add(requestSlack)))
	return pc, err
}

// caseInfo is what the statistics need of a call's case.
type caseInfo struct {
	due, closedDay string
	opened         int64
}

func (s *Service) cases(ctx context.Context, from, to time.Time) (map[string]caseInfo, error) {
	out := map[string]caseInfo{}
	q := `SELECT call_id, due_date, closed_at, opened_at FROM cases WHERE opened_at >= ? AND opened_at < ?`
	err := s.scan(ctx, "cases", q, func(rows *sql.Rows) error {
		var id string
		var c caseInfo
		var closed int64
		if err := rows.Scan(&id, &c.due, &closed, &c.opened); err != nil {
			return err
		}
		if closed > 0 {
			c.closedDay = store.Time(closed).In(s.loc).Format(time.DateOnly)
		}
		out[id] = c
		return nil
	}, store.Millis(from), store.Millis(to.Add(caseSlack)))
	return out, err
}

// ratingInfo is a call's rating and when it was given.
type ratingInfo struct {
	score int
	at    int64
}

func (s *Service) ratings(ctx context.Context, from, to time.Time) (map[string]ratingInfo, error) {
	out := map[string]ratingInfo{}
	q := `SELECT call_id, score, at FROM ratings WHERE at >= ? AND at < ?`
	err := s.scan(ctx, "ratings", q, func(rows *sql.Rows) error {
		var id string
		var r ratingInfo
		if err := rows.Scan(&id, &r.score, &r.at); err != nil {
			return err
		}
		out[id] = r
		return nil
	}, store.Millis(from), store.Millis(to.Add(ratingSlack)))
	return out, err
}

// rectInfo is a bad rating's follow-up, when it opened and when it was
// first fixed.
type rectInfo struct {
	status     string
	due, fixed time.Time
	opened     int64
}

func (s *Service) rectifications(ctx context.Context, from, to time.Time) (map[string]rectInfo, error) {
	out := map[string]rectInfo{}
	q := `SELECT x.call_id, x.status, x.due_at, x.opened_at,
		COALESCE((SELECT MIN(f.at) FROM rectification_steps f WHERE f.call_id = x.call_id AND f.status = 'fixed'), 0)
	FROM rectifications x WHERE x.opened_at >= ? AND x.opened_at < ?`
	err := s.scan(ctx, "rectifications", q, func(rows *sql.Rows) error {
		var id string
		var x rectInfo
		var due, fixed int64
		if err := rows.Scan(&id, &x.status, &due, &x.opened, &fixed); err != nil {
			return err
		}
		x.due, x.fixed = store.Time(due), store.Time(fixed)
		out[id] = x
		return nil
	}, store.Millis(from), store.Millis(to.Add(ratingSlack)))
	return out, err
}

// requests reads the period's call requests, answered or not.
func (s *Service) requests(ctx context.Context, from, to time.Time) ([]*row, error) {
	var out []*row
	q := `SELECT id, station_id, station_name, island, item_id, item_name, category, requested_at
	FROM call_requests WHERE requested_at >= ? AND requested_at < ?`
	err := s.scan(ctx, "call requests", q, func(rows *sql.Rows) error {
		r := &row{}
		var req int64
		if err := rows.Scan(&r.id, &r.stationID, &r.stationName, &r.island, &r.itemID, &r.itemName, &r.category, &req); err != nil {
			return err
		}
		r.requested = store.Time(req)
		out = append(out, r)
		return nil
	}, store.Millis(from), store.Millis(to))
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
