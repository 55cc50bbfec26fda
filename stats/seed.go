package stats

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"cloudwindow/catalog"
	"cloudwindow/store"
)

// SeedOptions shape a synthetic month of calls for measuring the
// statistics (never for a real center: the calls are invented).
type SeedOptions struct {
	Calls    int       // requests to make, answered or not
	Month    time.Time // any day of the month to fill, in the center's zone
	Stations int
	Agents   int
	Items    []catalog.Item
	Seed     uint64 // the same seed makes the same calls
}

// seedBatch rows go into one INSERT: well under both engines' limits on
// bound parameters.
const seedBatch = 400

// Seed writes o.Calls requests spread over the working hours of a month:
// about 6 % abandoned; the rest answered, wrapped up, each with its case,
// most rated, every bad rating with its rectification. The
// rows are marked: calls by node "seed", cases by numbers starting "SEED-".
func Seed(ctx context.Context, db *store.DB, o SeedOptions) error {
	if o.Calls <= 0 || o.Stations <= 0 || o.Agents <= 0 || len(o.Items) == 0 {
		return fmt.Errorf("seed calls: need calls, stations, agents and items")
	}
	g := &generator{o: o, r: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
	start := time.Date(o.Month.Year(), o.Month.Month(), 1, 0, 0, 0, 0, o.Month.Location())
	g.days = workdays(start)
	times := g.requestTimes()
	for done := 0; done < o.Calls; done += seedBatch {
		b := &seedRows{}
		for i := done; i < min(done+seedBatch, o.Calls); i++ {
			g.call(times[i], b)
		}
		if err := db.Tx(ctx, b.insert); err != nil {
			return fmt.Errorf("seed calls %d–%d: %w", done, done+seedBatch, err)
		}
	}
	return nil
}

// workdays lists the weekdays of the month starting at start.
func workdays(start time.Time) []time.Time {
	var out []time.Time
	for d := start; d.Month() == start.Month(); d = d.AddDate(0, 0, 1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

type generator struct {
	o    SeedOptions
	r    *rand.Rand
	days []time.Time
}

// seedRows are the rows of one batch, per table.
type seedRows struct{ requests, calls, cases, ratings, rects, steps [][]any }

// requestTimes are the requests' times, 8:30–17:00 on working days, in
// order: a center's records are written as its day goes.
func (g *generator) requestTimes() []time.Time {
	out := make([]time.Time, g.o.Calls)
	for i := range out {
		out[i] = g.days[g.r.IntN(len(g.days))].Add(510*time.Minute + time.Duration(g.r.Int64N(int64(510*time.Minute))))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// id is a random id shaped like the node's (UUID v4), so that lookups by
// id cost what they cost on real data.
func (g *generator) id() string {
	a, b := g.r.Uint64(), g.r.Uint64()
	return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", a>>32, a>>16&0xffff, a&0xfff, b>>48&0x3fff|0x8000, b&0xffffffffffff)
}

func (g *generator) call(req time.Time, b *seedRows) {
	id := g.id()
	st := g.r.IntN(g.o.Stations)
	item := g.o.Items[g.r.IntN(len(g.o.Items))]
	station, island := fmt.Sprintf("seed-st-%03d", st), st%5 == 0
	stName := fmt.Sprintf("测试帮办点%03d", st)
	b.requests = append(b.requests, []any{id, station, stName, island, item.ID, item.NameZh, item.Category, false, store.Millis(req)})
	if g.r.IntN(100) < 6 {
		return // abandoned
	}
	ag := g.r.IntN(g.o.Agents)
	acc := req.Add(time.Duration(g.r.ExpFloat64()*25*float64(time.Second)) + time.Second)
	end := acc.Add(time.Duration(120+g.r.IntN(780)) * time.Second)
	outcome := []string{"done", "done", "done", "forwarded", "forwarded", "needs_materials", "consultation"}[g.r.IntN(7)]
	b.calls = append(b.calls, []any{id, station, stName, island, fmt.Sprintf("seed-ag-%02d", ag), fmt.Sprintf("测试坐席%02d", ag),
		item.ID, item.NameZh, item.Category, false, store.Millis(req), store.Millis(acc), store.Millis(end), "hangup", outcome, "", "seed"})
	g.caseRow(id, station, item, outcome, end, b)
	g.rating(id, station, ag, end, b)
}

func (g *generator) caseRow(id, station string, item catalog.Item, outcome string, end time.Time, b *seedRows) {
	due, closed := "", int64(0)
	switch outcome {
	case "forwarded":
		due = end.AddDate(0, 0, 7).Format(time.DateOnly)
		if g.r.IntN(10) < 7 { // most finished, a sixth of those late
			closed = store.Millis(end.AddDate(0, 0, 3+g.r.IntN(6)))
		}
	case "needs_materials":
	default:
		closed = store.Millis(end)
	}
	b.cases = append(b.cases, []any{"case-" + id, "SEED-" + id[:13] + id[24:], id, station, "", "", "", item.ID, item.NameZh, outcome,
		"[]", "", "{}", due, store.Millis(end), store.Millis(end), closed})
}

func (g *generator) rating(id, station string, ag int, end time.Time, b *seedRows) {
	if g.r.IntN(10) < 4 {
		return // not rated
	}
	score := []int{5, 5, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1}[g.r.IntN(12)]
	at := end.Add(time.Minute)
	agent := fmt.Sprintf("seed-ag-%02d", ag)
	b.ratings = append(b.ratings, []any{id, station, agent, score, "", store.Millis(at)})
	if score > 2 {
		return
	}
	due := at.Add(72 * time.Hour)
	status := []string{"fixed", "fixed", "fixed", "in_progress", "open"}[g.r.IntN(5)]
	b.rects = append(b.rects, []any{id, station, agent, score, "", status, "", "", store.Millis(at), store.Millis(due), store.Millis(at)})
	b.steps = append(b.steps, []any{id, 1, store.Millis(at), station, "", "open", ""})
	if status == "fixed" {
		fixed := at.Add(time.Duration(g.r.IntN(96)) * time.Hour)
		b.steps = append(b.steps, []any{id, 2, store.Millis(fixed), "seed", "", "fixed", "已回访"})
	}
}

func (b *seedRows) insert(tx *store.Tx) error {
	ctx := context.Background()
	tables := []struct {
		table, cols string
		rows        [][]any
	}{
		{"call_requests", "id, station_id, station_name, island, item_id, item_name, category, green, requested_at", b.requests},
		{"calls", "id, station_id, station_name, island, agent_id, agent_name, item_id, item_name, category, green, requested_at, accepted_at, ended_at, end_reason, outcome, notes, node", b.calls},
		{"cases", "id, number, call_id, station_id, station_name, agent_id, agent_name, item_id, item_name, state, missing, notes, resident, due_date, opened_at, updated_at, closed_at", b.cases},
		{"ratings", "call_id, station_id, agent_id, score, comment, at", b.ratings},
		{"rectifications", "call_id, station_id, agent_id, score, comment, status, owner_id, owner_name, opened_at, due_at, updated_at", b.rects},
		{"rectification_steps", "call_id, seq, at, actor_id, actor_name, status, note", b.steps},
	}
	for _, t := range tables {
		if err := insertRows(ctx, tx, t.table, t.cols, t.rows); err != nil {
			return err
		}
	}
	return nil
}

func insertRows(ctx context.Context, tx *store.Tx, table, cols string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(rows[0])), ", ") + ")"
	args := make([]any, 0, len(rows)*len(rows[0]))
	for _, r := range rows {
		args = append(args, r...)
	}
	q := "INSERT INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(rows)), ", ")
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}
