package stats

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"cloudwindow/store"
)

// The daily roll-up (migration 022) holds the parts of every group of
// every closed day, so that a month reads a few thousand small rows
// instead of every call. It is kept from the durable records only:
//
//   - triggers on every table the statistics read leave a mark (the
//     request time of the call concerned) whenever a row is written, by
//     any writer on any node;
//   - before the roll-up is read, the marks are taken: each marked closed
//     day is computed again from the records, and every closed day the
//     period needs that is not in the roll-up yet is computed;
//   - today is never rolled up: it is computed from the records on every
//     read.
//
// So a rating given, a case closed or a rectification fixed after its
// call's day (or an edit by hand in the database) is in the next report.
// One refresher runs at a time (a mutex, and on PostgreSQL an advisory
// lock shared by the nodes), so an older computation never overwrites a
// newer one. `cloudwindow admin stats-rollup` computes it all again.
type rollup struct{ mu sync.Mutex }

// rollupLockID is the first key of the roll-up's advisory lock on
// PostgreSQL; the second is the schema's, like the migrations' lock.
const rollupLockID = 0x636c7773 // "clws"

// maxBuildDays bounds the days computed in one pass, and so the memory a
// rebuild of years takes.
const maxBuildDays = 31

// lock makes the caller the only refresher of the roll-up until unlock.
func (s *Service) lock(ctx context.Context) (unlock func(), err error) {
	s.rollup.mu.Lock()
	if s.db.Dialect != store.Postgres {
		return s.rollup.mu.Unlock, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		s.rollup.mu.Unlock()
		return nil, fmt.Errorf("roll-up lock: connect: %w", err)
	}
	const key = `$1, hashtext(current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`, rollupLockID); err != nil {
		conn.Close()
		s.rollup.mu.Unlock()
		return nil, fmt.Errorf("roll-up lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+key+`)`, rollupLockID); err != nil {
			s.log.Warn("release the statistics roll-up lock", "err", err)
		}
		conn.Close()
		s.rollup.mu.Unlock()
	}, nil
}

// rolledUp brings the roll-up of the closed days from..to (midnights) up
// to date and returns their parts, merged.
func (s *Service) rolledUp(ctx context.Context, from, to time.Time) (*groups, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	err = s.refresh(ctx, daysBetween(from, to), false)
	unlock()
	if err != nil {
		return nil, err
	}
	return s.loadDays(ctx, from.Format(time.DateOnly), to.Format(time.DateOnly))
}

// Rebuild computes the roll-up of the closed days from..to (midnights)
// again from the records; with zero times, of every day with a request.
func (s *Service) Rebuild(ctx context.Context, from, to time.Time) (int, error) {
	today := midnight(s.now().In(s.loc))
	if from.IsZero() {
		first, err := s.firstRequest(ctx)
		if err != nil || first.IsZero() {
			return 0, err
		}
		from, to = midnight(first.In(s.loc)), today
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	days := daysBetween(from, minTime(to, today))
	return len(days), s.refresh(ctx, days, true)
}

func (s *Service) firstRequest(ctx context.Context) (time.Time, error) {
	var ms int64
	err := s.db.QueryRow(ctx, `SELECT COALESCE(MIN(requested_at), 0) FROM call_requests`).Scan(&ms)
	if err != nil {
		return time.Time{}, fmt.Errorf("first call request: %w", err)
	}
	return store.Time(ms), nil
}

// refresh takes the marks, computes again the marked days in the roll-up,
// and computes the needed days (all of them when force) that it lacks.
// The caller holds the lock.
func (s *Service) refresh(ctx context.Context, needed []string, force bool) error {
	today := s.now().In(s.loc).Format(time.DateOnly)
	built, err := s.builtDays(ctx)
	if err != nil {
		return err
	}
	marked, runs, err := s.takeMarks(ctx)
	if err != nil {
		return err
	}
	build := map[string]bool{}
	var unbuild []string
	for d := range marked {
		switch {
		case !built[d]: // computed from scratch when first needed
		case d < today:
			build[d] = true
		default: // rolled up by a node whose clock ran ahead
			unbuild = append(unbuild, d)
		}
	}
	for _, d := range needed {
		if d < today && (force || !built[d]) {
			build[d] = true
		}
	}
	parts, err := s.computeDays(ctx, build)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := deleteMarks(ctx, tx, runs); err != nil {
			return err
		}
		for _, d := range unbuild {
			if err := deleteDay(ctx, tx, d); err != nil {
				return err
			}
		}
		return s.writeDays(ctx, tx, parts)
	})
}

// builtDays are the days rolled up in the center's current time zone.
func (s *Service) builtDays(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	rows, err := s.db.Query(ctx, `SELECT day FROM stats_days WHERE zone = ?`, s.loc.String())
	if err != nil {
		return nil, fmt.Errorf("read rolled-up days: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, fmt.Errorf("read rolled-up days: %w", err)
		}
		out[d] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read rolled-up days: %w", err)
	}
	return out, nil
}

// computeDays computes the given days from the records, a run of
// consecutive days (at most maxBuildDays) per pass. Days without a
// request get an empty part, so they are not computed again.
func (s *Service) computeDays(ctx context.Context, days map[string]bool) (map[string]*groups, error) {
	list := make([]string, 0, len(days))
	for d := range days {
		list = append(list, d)
	}
	sort.Strings(list)
	out := map[string]*groups{}
	for i := 0; i < len(list); {
		from, err := time.ParseInLocation(time.DateOnly, list[i], s.loc)
		if err != nil {
			return nil, fmt.Errorf("roll-up day %q: %w", list[i], err)
		}
		to, n := from.AddDate(0, 0, 1), 1
		for i+n < len(list) && n < maxBuildDays && list[i+n] == to.Format(time.DateOnly) {
			to, n = to.AddDate(0, 0, 1), n+1
		}
		got, err := s.compute(ctx, from, to)
		if err != nil {
			return nil, err
		}
		for _, d := range list[i : i+n] {
			out[d] = got[d]
			if out[d] == nil {
				out[d] = newGroups(false)
			}
		}
		i += n
	}
	return out, nil
}
