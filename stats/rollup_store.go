package stats

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"cloudwindow/store"
)

// idRun is a run of consecutive mark ids, lo..hi.
type idRun struct{ lo, hi int64 }

// markPage bounds the marks read at once.
const markPage = 20000

// takeMarks reads every mark: the days they name and their ids, as runs.
// Only the marks read are deleted later: a mark written meanwhile (even
// with a lower id, as PostgreSQL hands out ids before commit) stays.
func (s *Service) takeMarks(ctx context.Context) (map[string]bool, []idRun, error) {
	days := map[string]bool{}
	var runs []idRun
	var dc dayCache
	last := int64(-1 << 62)
	for {
		n := 0
		err := s.scan(ctx, "statistics marks", `SELECT id, at FROM stats_dirty WHERE id > ? ORDER BY id LIMIT ?`, func(rows *sql.Rows) error {
			var id, at int64
			if err := rows.Scan(&id, &at); err != nil {
				return err
			}
			n++
			days[dc.of(store.Time(at), s.loc).name] = true
			if k := len(runs) - 1; k >= 0 && runs[k].hi == id-1 {
				runs[k].hi = id
			} else {
				runs = append(runs, idRun{id, id})
			}
			last = id
			return nil
		}, last, markPage)
		if err != nil {
			return nil, nil, err
		}
		if n < markPage {
			return days, runs, nil
		}
	}
}

// deleteMarks deletes the marks taken, a hundred runs per statement.
func deleteMarks(ctx context.Context, tx *store.Tx, runs []idRun) error {
	for len(runs) > 0 {
		batch := runs[:min(len(runs), 100)]
		runs = runs[len(batch):]
		conds := make([]string, len(batch))
		args := make([]any, 0, 2*len(batch))
		for i, r := range batch {
			conds[i] = "id BETWEEN ? AND ?"
			args = append(args, r.lo, r.hi)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM stats_dirty WHERE `+strings.Join(conds, " OR "), args...); err != nil {
			return fmt.Errorf("delete statistics marks: %w", err)
		}
	}
	return nil
}

func deleteDay(ctx context.Context, tx *store.Tx, d string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM stats_daily WHERE day = ?`, d); err != nil {
		return fmt.Errorf("delete roll-up of %s: %w", d, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM stats_days WHERE day = ?`, d); err != nil {
		return fmt.Errorf("delete roll-up of %s: %w", d, err)
	}
	return nil
}

const dailyColumns = `day, dim, key, name, name_at, island, requests, answered, abandoned, answered_30s,
	wait_ms, wait_hist, handle_ms, handled, outcomes, ratings, bad, bad_fixed, bad_fixed_on_time, overdue_closed, open_due`

// dailyBatch rows go into one INSERT: 21 columns each stays well under
// both engines' limits on bound parameters.
const dailyBatch = 200

// writeDays replaces the roll-up of each day in parts.
func (s *Service) writeDays(ctx context.Context, tx *store.Tx, parts map[string]*groups) error {
	now := store.Millis(time.Now())
	for d, g := range parts {
		if _, err := tx.Exec(ctx, `DELETE FROM stats_daily WHERE day = ?`, d); err != nil {
			return fmt.Errorf("replace roll-up of %s: %w", d, err)
		}
		if err := insertDaily(ctx, tx, dailyRows(d, g)); err != nil {
			return fmt.Errorf("roll up %s: %w", d, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO stats_days (day, zone, built_at) VALUES (?, ?, ?)
			ON CONFLICT (day) DO UPDATE SET zone = excluded.zone, built_at = excluded.built_at`, d, s.loc.String(), now)
		if err != nil {
			return fmt.Errorf("roll up %s: %w", d, err)
		}
	}
	return nil
}

// dailyRows are a day's rows: the total, then every group.
func dailyRows(d string, g *groups) [][]any {
	var out [][]any
	if g.total.requests > 0 {
		out = append(out, g.total.columns(d, "total", "total"))
	}
	for _, by := range Breakdowns {
		for key, p := range g.by[by] {
			out = append(out, p.columns(d, by, key))
		}
	}
	return out
}

func insertDaily(ctx context.Context, tx *store.Tx, rows [][]any) error {
	for len(rows) > 0 {
		batch := rows[:min(len(rows), dailyBatch)]
		rows = rows[len(batch):]
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(batch[0])), ", ") + ")"
		args := make([]any, 0, len(batch)*len(batch[0]))
		for _, r := range batch {
			args = append(args, r...)
		}
		q := "INSERT INTO stats_daily (" + dailyColumns + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(batch)), ", ")
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

func (p *part) columns(d, dim, key string) []any {
	return []any{d, dim, key, p.name, p.nameAt, p.island, p.requests, p.answered, p.abandoned, p.in30,
		p.waitMs, encodeWaits(&p.waits), p.handleMs, p.handled, encodeCounts(p.outcomes), encodeCounts(p.ratings),
		p.bad, p.badFixed, p.badOnTime, p.overdueClosed, encodeDue(p.openDue)}
}

// loadDays merges the rolled-up parts of the days from..to (exclusive).
func (s *Service) loadDays(ctx context.Context, from, to string) (*groups, error) {
	g := newGroups(true)
	q := `SELECT ` + strings.Replace(dailyColumns, "day, ", "", 1) + ` FROM stats_daily WHERE day >= ? AND day < ?`
	err := s.scan(ctx, "statistics roll-up", q, func(rows *sql.Rows) error {
		var r part
		var dim, key, waits, outcomes, ratings, due string
		err := rows.Scan(&dim, &key, &r.name, &r.nameAt, &r.island, &r.requests, &r.answered, &r.abandoned, &r.in30,
			&r.waitMs, &waits, &r.handleMs, &r.handled, &outcomes, &ratings, &r.bad, &r.badFixed, &r.badOnTime,
			&r.overdueClosed, &due)
		if err != nil {
			return err
		}
		if err := r.decode(waits, outcomes, ratings, due); err != nil {
			return fmt.Errorf("%s %s: %w", dim, key, err)
		}
		p := g.get(dim, key)
		p.merge(&r)
		return decodeWaitsInto(&p.waits, waits)
	}, from, to)
	return g, err
}

// decode reads a row's counts and open cases; its waits go straight into
// the part it is merged into (decodeWaitsInto), which halves the work of
// reading a month.
func (p *part) decode(waits, outcomes, ratings, due string) error {
	var err error
	if p.outcomes, err = decodeCounts(outcomes); err != nil {
		return err
	}
	if p.ratings, err = decodeCounts(ratings); err != nil {
		return err
	}
	if due == "" {
		return nil
	}
	p.openDue = map[string]int{}
	for _, kv := range strings.Split(due, ",") {
		k, v, ok := strings.Cut(kv, ":")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return fmt.Errorf("bad roll-up due date %q", kv)
		}
		p.openDue[k] += n
	}
	return nil
}

// decodeWaitsInto adds a histogram written by encodeWaits to h. It parses
// by hand: a month holds a few hundred thousand entries.
func decodeWaitsInto(h *hist, s string) error {
	for len(s) > 0 {
		k, rest, ok := nextInt(s, ':')
		if !ok {
			return fmt.Errorf("bad roll-up waits %q", s)
		}
		n, rest, ok := nextInt(rest, ',')
		if !ok {
			return fmt.Errorf("bad roll-up waits %q", s)
		}
		h.add(k, int(n))
		s = rest
	}
	return nil
}

// nextInt reads a decimal integer ended by sep or the end of s.
func nextInt(s string, sep byte) (int64, string, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var n int64
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if i == 0 || (i < len(s) && s[i] != sep) {
		return 0, "", false
	}
	if neg {
		n = -n
	}
	if i < len(s) {
		i++ // the separator
	}
	return n, s[i:], true
}

// encodeWaits writes a wait histogram as "wait:count,…", waits ascending.
func encodeWaits(h *hist) string {
	var b strings.Builder
	h.each(func(k int64, n int) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(k, 10))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(n))
	})
	return b.String()
}

// encodeDue writes open cases per due date as "YYYY-MM-DD:count,…".
func encodeDue(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + strconv.Itoa(m[k])
	}
	return strings.Join(parts, ",")
}

func encodeCounts(c [5]int) string {
	return fmt.Sprintf("%d,%d,%d,%d,%d", c[0], c[1], c[2], c[3], c[4])
}

func decodeCounts(s string) ([5]int, error) {
	var c [5]int
	f := strings.Split(s, ",")
	if len(f) != len(c) {
		return c, fmt.Errorf("bad roll-up counts %q", s)
	}
	for i, v := range f {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, fmt.Errorf("bad roll-up counts %q", s)
		}
		c[i] = n
	}
	return c, nil
}
