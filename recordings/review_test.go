package recordings

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudwindow/store"
)

var listEpoch = time.Date(2025, 3, 1, 0, 0, 0, 0, time.Local)

// seedSession is session i of a varied set: 3 stations (one on an
// island), 4 agents, 5 items in 2 categories, 1 to 20 minutes, mixed status.
func seedSession(i int) Session {
	return Session{
		CallID:      fmt.Sprintf("call-%06d", i),
		StationID:   fmt.Sprintf("st-%d", i%3),
		StationName: fmt.Sprintf("站点 %d", i%3),
		Island:      i%3 == 0,
		AgentID:     fmt.Sprintf("ag-%d", i%4),
		AgentName:   fmt.Sprintf("坐席 %d", i%4),
		ItemID:      fmt.Sprintf("item-%d", i%5),
		ItemName:    fmt.Sprintf("事项 %d", i%5),
		Category:    []string{"医保", "社保"}[i%5%2],
		StartedAt:   listEpoch.Add(time.Duration(i/2) * 7 * time.Minute), // pairs share a start time
		DurationMs:  int64(1+i%20) * 60_000,
		Status:      []Status{StatusFinished, StatusFinished, StatusFailed, StatusRepaired}[i%4],
	}
}

func seedSessions(tb testing.TB, db *store.DB, n int) []Session {
	tb.Helper()
	ctx := context.Background()
	out := make([]Session, n)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			s := seedSession(i)
			out[i] = s
			_, err := tx.Exec(ctx, `INSERT INTO recordings (call_id, station_id, station_name, island, agent_id, agent_name,
				item_id, item_name, category, node, started_at, ended_at, duration_ms, status, error, legal_hold, hold_by, hold_at, deleted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, '', ?, '', 0, 0)`,
				s.CallID, s.StationID, s.StationName, s.Island, s.AgentID, s.AgentName, s.ItemID, s.ItemName, s.Category,
				store.Millis(s.StartedAt), store.Millis(s.StartedAt)+s.DurationMs, s.DurationMs, string(s.Status), false)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed sessions: %v", err)
	}
	return out
}

func TestListFiltersAndPages(t *testing.T) {
	yes := true
	cases := []struct {
		name   string
		filter ListFilter
		match  func(Session) bool
	}{
		{"everything", ListFilter{}, func(Session) bool { return true }},
		{"station", ListFilter{StationID: "st-1"}, func(s Session) bool { return s.StationID == "st-1" }},
		{"island sites", ListFilter{Island: &yes}, func(s Session) bool { return s.Island }},
		{"agent and status", ListFilter{AgentID: "ag-2", Status: StatusFailed}, func(s Session) bool { return s.AgentID == "ag-2" && s.Status == StatusFailed }},
		{"item", ListFilter{ItemID: "item-3"}, func(s Session) bool { return s.ItemID == "item-3" }},
		{"category", ListFilter{Category: "社保"}, func(s Session) bool { return s.Category == "社保" }},
		{"duration", ListFilter{MinDuration: 5 * time.Minute, MaxDuration: 10 * time.Minute},
			func(s Session) bool { return s.DurationMs >= 300_000 && s.DurationMs <= 600_000 }},
		{"date range", ListFilter{From: listEpoch.Add(time.Hour), To: listEpoch.Add(3 * time.Hour)},
			func(s Session) bool {
				return !s.StartedAt.Before(listEpoch.Add(time.Hour)) && s.StartedAt.Before(listEpoch.Add(3*time.Hour))
			}},
	}
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			seeded := seedSessions(t, db, 60)
			tr := newTestRecorder(t, db, t.TempDir())
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					var want []string
					for _, s := range seeded {
						if tc.match(s) {
							want = append(want, s.CallID)
						}
					}
					// Newest first; equal start times by call id, descending.
					slices.Reverse(want)
					if got := listAll(t, tr.Recorder, tc.filter, 7); !slices.Equal(got, want) {
						t.Errorf("got %v\nwant %v", got, want)
					}
				})
			}
		})
	}
}

// listAll follows the cursor through every page.
func listAll(t *testing.T, rec *Recorder, f ListFilter, pageSize int) []string {
	t.Helper()
	f.Limit = pageSize
	var ids []string
	for pages := 0; ; pages++ {
		page, err := rec.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Sessions) > pageSize || pages > 100 {
			t.Fatalf("page of %d sessions, limit %d", len(page.Sessions), pageSize)
		}
		for _, s := range page.Sessions {
			ids = append(ids, s.CallID)
		}
		if page.NextCursor == "" {
			return ids
		}
		f.Cursor = page.NextCursor
	}
}

// TestListUsesAnIndex keeps the list fast on a large index: SQLite must
// answer every filter through an index, never by scanning the table.
func TestListUsesAnIndex(t *testing.T) {
	db := testSQLite(t)
	yes := true
	filters := []ListFilter{{}, {StationID: "s"}, {AgentID: "a"}, {ItemID: "i"}, {Category: "c"}, {Status: StatusFailed},
		{From: listEpoch, To: listEpoch.Add(time.Hour)}, {Island: &yes, MinDuration: time.Minute},
		{Cursor: encodeCursor(5, "x")}, {StationID: "s", Cursor: encodeCursor(5, "x")}}
	for _, f := range filters {
		where, args, err := f.conditions()
		if err != nil {
			t.Fatal(err)
		}
		q := `EXPLAIN QUERY PLAN SELECT ` + sessionColumns + ` FROM recordings WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY started_at DESC, call_id DESC LIMIT 51`
		rows, err := db.Query(context.Background(), q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "; ")
		if !strings.Contains(text, "USING INDEX") || strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("filter %+v: plan %q", f, text)
		}
		if f.Cursor != "" && !strings.HasPrefix(text, "SEARCH") {
			t.Errorf("a page after a cursor scans from the newest session: %q", text)
		}
	}
}

func BenchmarkList100k(b *testing.B) {
	db := testSQLite(b)
	seedSessions(b, db, 100_000)
	tr := newTestRecorder(b, db, b.TempDir())
	yes := true
	filters := map[string]ListFilter{
		"all":          {},
		"station":      {StationID: "st-1"},
		"island+agent": {Island: &yes, AgentID: "ag-3"},
		"category+day": {Category: "医保", From: listEpoch.Add(100 * time.Hour), To: listEpoch.Add(124 * time.Hour)},
		"failed":       {Status: StatusFailed},
		"deep page":    {Cursor: encodeCursor(store.Millis(listEpoch.Add(24*time.Hour)), "call-000400")},
	}
	for name, f := range filters {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tr.List(context.Background(), f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
