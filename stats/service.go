// Package stats computes the center's statistics — requests, service
// level, waits, outcomes, ratings and their follow-up, overdue cases — for
// a period, by station, item, category and agent, from the durable record
// (calls, call requests, cases, ratings, rectifications), so every node
// gives the same figures. It also writes them as XLSX and CSV.
package stats

import (
	"context"
	"database/sql"
	"fmt"
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
}

// NewService returns a Service. categories names a category id (the id
// itself when unknown); loc is the center's time zone.
func NewService(db *store.DB, log *audit.Log, loc *time.Location, now func() time.Time, categories func(string) string) *Service {
	if loc == nil {
		loc = time.Local
	}
	return &Service{db: db, audit: log, loc: loc, now: now, categories: categories}
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

// Report computes the statistics of the requests made in p.
func (s *Service) Report(ctx context.Context, p Period) (Report, error) {
	calls, err := s.calls(ctx, p)
	if err != nil {
		return Report{}, err
	}
	if err := s.joinCases(ctx, p, calls); err != nil {
		return Report{}, err
	}
	if err := s.joinRatings(ctx, p, calls); err != nil {
		return Report{}, err
	}
	if err := s.joinRectifications(ctx, p, calls); err != nil {
		return Report{}, err
	}
	g := newGroups(s.categories)
	today := s.now().In(s.loc).Format(time.DateOnly)
	for _, r := range calls.list {
		for _, a := range g.of(r) {
			a.addAnswered(r, today)
		}
	}
	err = s.abandoned(ctx, p, calls.all, func(r *row) {
		for _, a := range g.of(r) {
			a.addAbandoned()
		}
	})
	if err != nil {
		return Report{}, err
	}
	return g.report(p), nil
}

// periodCalls are the calls requested in a period, by id; all also holds
// the ids of calls requested just around it.
type periodCalls struct {
	list []*row
	byID map[string]*row
	all  map[string]bool
}

const callsQuery = `SELECT id, station_id, station_name, island, agent_id, agent_name, item_id, item_name,
	category, requested_at, accepted_at, ended_at, outcome
FROM calls WHERE requested_at >= ? AND requested_at < ?`

func (s *Service) calls(ctx context.Context, p Period) (*periodCalls, error) {
	pc := &periodCalls{byID: map[string]*row{}, all: map[string]bool{}}
	from, to := store.Millis(p.From), store.Millis(p.To)
	err := s.scan(ctx, "calls", callsQuery, func(rows *sql.Rows) error {
		r := &row{}
		var id string
		var req, acc, end int64
		err := rows.Scan(&id, &r.stationID, &r.stationName, &r.island, &r.agentID, &r.agentName, &r.itemID, &r.itemName,
			&r.category, &req, &acc, &end, &r.outcome)
		if err != nil {
			return err
		}
		pc.all[id] = true
		if req >= from && req < to {
			r.requested, r.accepted, r.ended = store.Time(req), store.Time(acc), store.Time(end)
			pc.list = append(pc.list, r)
			pc.byID[id] = r
		}
		return nil
	}, store.Millis(p.From.Add(-requestSlack)), store.Millis(p.To.Add(requestSlack)))
	return pc, err
}

func (s *Service) joinCases(ctx context.Context, p Period, pc *periodCalls) error {
	q := `SELECT call_id, due_date, closed_at FROM cases WHERE opened_at >= ? AND opened_at < ?`
	return s.scan(ctx, "cases", q, func(rows *sql.Rows) error {
		var id, due string
		var closed int64
		if err := rows.Scan(&id, &due, &closed); err != nil {
			return err
		}
		if r := pc.byID[id]; r != nil {
			r.dueDate = due
			if closed > 0 {
				r.closedDay = store.Time(closed).In(s.loc).Format(time.DateOnly)
			}
		}
		return nil
	}, store.Millis(p.From), store.Millis(p.To.Add(caseSlack)))
}

func (s *Service) joinRatings(ctx context.Context, p Period, pc *periodCalls) error {
	q := `SELECT call_id, score FROM ratings WHERE at >= ? AND at < ?`
	return s.scan(ctx, "ratings", q, func(rows *sql.Rows) error {
		var id string
		var score int
		if err := rows.Scan(&id, &score); err != nil {
			return err
		}
		if r := pc.byID[id]; r != nil {
			r.score = score
		}
		return nil
	}, store.Millis(p.From), store.Millis(p.To.Add(ratingSlack)))
}

// joinRectifications adds each bad rating's follow-up and when it was
// first fixed (a fixed rectification has exactly one such step).
func (s *Service) joinRectifications(ctx context.Context, p Period, pc *periodCalls) error {
	q := `SELECT x.call_id, x.status, x.due_at,
		COALESCE((SELECT MIN(f.at) FROM rectification_steps f WHERE f.call_id = x.call_id AND f.status = 'fixed'), 0)
	FROM rectifications x WHERE x.opened_at >= ? AND x.opened_at < ?`
	return s.scan(ctx, "rectifications", q, func(rows *sql.Rows) error {
		var id, status string
		var due, fixed int64
		if err := rows.Scan(&id, &status, &due, &fixed); err != nil {
			return err
		}
		if r := pc.byID[id]; r != nil {
			r.rectStatus, r.rectDue, r.fixedAt = status, store.Time(due), store.Time(fixed)
		}
		return nil
	}, store.Millis(p.From), store.Millis(p.To.Add(ratingSlack)))
}

// abandoned reads the requests of the period that never became a call.
func (s *Service) abandoned(ctx context.Context, p Period, answered map[string]bool, fn func(*row)) error {
	q := `SELECT id, station_id, station_name, island, item_id, item_name, category
	FROM call_requests WHERE requested_at >= ? AND requested_at < ?`
	return s.scan(ctx, "call requests", q, func(rows *sql.Rows) error {
		var id string
		var r row
		if err := rows.Scan(&id, &r.stationID, &r.stationName, &r.island, &r.itemID, &r.itemName, &r.category); err != nil {
			return err
		}
		if !answered[id] {
			fn(&r)
		}
		return nil
	}, store.Millis(p.From), store.Millis(p.To))
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
