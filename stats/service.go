// Package stats computes the center's statistics — requests, service
// level, waits, outcomes, ratings and their follow-up, overdue cases — for
// a period, by station, item, category and agent, from the durable record
// (calls, call requests, cases, ratings, rectifications), so every node
// gives the same figures. It also writes them as XLSX and CSV.
package stats

import (
	"context"
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

// Report computes the statistics of the requests made in p.
func (s *Service) Report(ctx context.Context, p Period) (Report, error) {
	g := newGroups(s.categories)
	today := s.now().In(s.loc).Format(time.DateOnly)
	err := s.answered(ctx, p, func(r *row) {
		for _, a := range g.of(r) {
			a.addAnswered(r, today)
		}
	})
	if err != nil {
		return Report{}, err
	}
	err = s.abandoned(ctx, p, func(r *row) {
		for _, a := range g.of(r) {
			a.addAbandoned()
		}
	})
	if err != nil {
		return Report{}, err
	}
	return g.report(p), nil
}

// answeredQuery reads every call requested in the period with its rating,
// its rectification (and when that was first fixed) and its case.
const answeredQuery = `SELECT c.station_id, c.station_name, c.island, c.agent_id, c.agent_name, c.item_id, c.item_name,
	c.category, c.requested_at, c.accepted_at, c.ended_at, c.outcome,
	COALESCE(r.score, 0), COALESCE(x.status, ''), COALESCE(x.due_at, 0), COALESCE(f.fixed_at, 0),
	COALESCE(k.due_date, ''), COALESCE(k.closed_at, 0)
FROM calls c
LEFT JOIN ratings r ON r.call_id = c.id
LEFT JOIN rectifications x ON x.call_id = c.id
LEFT JOIN (SELECT call_id, MIN(at) AS fixed_at FROM rectification_steps WHERE status = 'fixed' GROUP BY call_id) f
	ON f.call_id = c.id
LEFT JOIN cases k ON k.call_id = c.id
WHERE c.requested_at >= ? AND c.requested_at < ?`

func (s *Service) answered(ctx context.Context, p Period, fn func(*row)) error {
	rows, err := s.db.Query(ctx, answeredQuery, store.Millis(p.From), store.Millis(p.To))
	if err != nil {
		return fmt.Errorf("read calls %s..%s: %w", p.FirstDay(), p.LastDay(), err)
	}
	defer rows.Close()
	var r row
	for rows.Next() {
		var req, acc, end, due, fixed, closed int64
		err := rows.Scan(&r.stationID, &r.stationName, &r.island, &r.agentID, &r.agentName, &r.itemID, &r.itemName,
			&r.category, &req, &acc, &end, &r.outcome, &r.score, &r.rectStatus, &due, &fixed, &r.dueDate, &closed)
		if err != nil {
			return fmt.Errorf("scan call: %w", err)
		}
		r.requested, r.accepted, r.ended = store.Time(req), store.Time(acc), store.Time(end)
		r.rectDue, r.fixedAt = store.Time(due), store.Time(fixed)
		r.closedDay = ""
		if closed > 0 {
			r.closedDay = store.Time(closed).In(s.loc).Format(time.DateOnly)
		}
		fn(&r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read calls %s..%s: %w", p.FirstDay(), p.LastDay(), err)
	}
	return nil
}

// abandonedQuery reads the requests of the period that never became a call.
const abandonedQuery = `SELECT q.station_id, q.station_name, q.island, q.item_id, q.item_name, q.category
FROM call_requests q LEFT JOIN calls c ON c.id = q.id
WHERE q.requested_at >= ? AND q.requested_at < ? AND c.id IS NULL`

func (s *Service) abandoned(ctx context.Context, p Period, fn func(*row)) error {
	rows, err := s.db.Query(ctx, abandonedQuery, store.Millis(p.From), store.Millis(p.To))
	if err != nil {
		return fmt.Errorf("read unanswered requests %s..%s: %w", p.FirstDay(), p.LastDay(), err)
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.stationID, &r.stationName, &r.island, &r.itemID, &r.itemName, &r.category); err != nil {
			return fmt.Errorf("scan unanswered request: %w", err)
		}
		fn(&r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read unanswered requests %s..%s: %w", p.FirstDay(), p.LastDay(), err)
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
