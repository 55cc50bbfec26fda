package recordings

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudwindow/calls"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
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

// seedRating is session i's rating: most sessions are rated, every score
// occurs, and a bad one carries a complaint.
func seedRating(i int) *Rating {
	if i%7 == 3 {
		return nil
	}
	score := 1 + (i/7)%5
	comment := "很耐心"
	if score <= BadRatingMax {
		comment = "等了太久"
	}
	return &Rating{Score: score, Comment: comment, At: seedSession(i).StartedAt.Add(30 * time.Minute)}
}

func seedSessions(tb testing.TB, db *store.DB, n int) []Session {
	tb.Helper()
	ctx := context.Background()
	out := make([]Session, n)
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			s := seedSession(i)
			s.Rating = seedRating(i)
			out[i] = s
			_, err := tx.Exec(ctx, `INSERT INTO recordings (call_id, station_id, station_name, island, agent_id, agent_name,
				item_id, item_name, category, node, started_at, ended_at, duration_ms, status, error, legal_hold, hold_by, hold_at, deleted_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, '', ?, '', 0, 0)`,
				s.CallID, s.StationID, s.StationName, s.Island, s.AgentID, s.AgentName, s.ItemID, s.ItemName, s.Category,
				store.Millis(s.StartedAt), store.Millis(s.StartedAt)+s.DurationMs, s.DurationMs, string(s.Status), false)
			if err != nil {
				return err
			}
			if s.Rating == nil {
				continue
			}
			_, err = tx.Exec(ctx, `INSERT INTO ratings (call_id, station_id, agent_id, score, comment, at) VALUES (?, ?, ?, ?, ?, ?)`,
				s.CallID, s.StationID, s.AgentID, s.Rating.Score, s.Rating.Comment, store.Millis(s.Rating.At))
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
		{"bad ratings", ListFilter{MinRating: 1, MaxRating: BadRatingMax}, func(s Session) bool { return s.Rating.Bad() }},
		{"rated 4 or better", ListFilter{MinRating: 4}, func(s Session) bool { return s.Rating != nil && s.Rating.Score >= 4 }},
		{"rated exactly 3", ListFilter{MinRating: 3, MaxRating: 3}, func(s Session) bool { return s.Rating != nil && s.Rating.Score == 3 }},
		{"rated at most 1", ListFilter{MaxRating: 1}, func(s Session) bool { return s.Rating != nil && s.Rating.Score == 1 }},
		{"unrated", ListFilter{Unrated: true}, func(s Session) bool { return s.Rating == nil }},
		{"bad ratings of a station", ListFilter{StationID: "st-2", MaxRating: BadRatingMax},
			func(s Session) bool { return s.StationID == "st-2" && s.Rating.Bad() }},
	}
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		seeded := seedSessions(t, db, 60)
		tr := newTestRecorder(t, db, t.TempDir())
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var want []Session
				for _, s := range seeded {
					if tc.match(s) {
						want = append(want, s)
					}
				}
				if len(want) == 0 {
					t.Fatal("no seeded session matches: the case tests nothing")
				}
				// Newest first; equal start times by call id, descending.
				slices.Reverse(want)
				if got := listAll(t, tr.Recorder, tc.filter, 7); !slices.EqualFunc(got, want, sameListing) {
					t.Errorf("got %v\nwant %v", listing(got), listing(want))
				}
			})
		}
	})
}

// sameListing compares what the list shows of a session: which one, and
// its rating.
func sameListing(a, b Session) bool {
	if a.CallID != b.CallID || (a.Rating == nil) != (b.Rating == nil) {
		return false
	}
	return a.Rating == nil || (a.Rating.Score == b.Rating.Score && a.Rating.Comment == b.Rating.Comment && a.Rating.At.Equal(b.Rating.At))
}

func listing(ss []Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.CallID
		if s.Rating != nil {
			out[i] += fmt.Sprintf("(%d %s)", s.Rating.Score, s.Rating.Comment)
		}
	}
	return out
}

// listAll follows the cursor through every page.
func listAll(t *testing.T, rec *Recorder, f ListFilter, pageSize int) []Session {
	t.Helper()
	f.Limit = pageSize
	var all []Session
	for pages := 0; ; pages++ {
		page, err := rec.List(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Sessions) > pageSize || pages > 100 {
			t.Fatalf("page of %d sessions, limit %d", len(page.Sessions), pageSize)
		}
		all = append(all, page.Sessions...)
		if page.NextCursor == "" {
			return all
		}
		f.Cursor = page.NextCursor
	}
}

// TestListUsesAnIndex keeps the list fast on a large index: SQLite must
// answer every filter by walking a recordings index in list order, looking
// up each row's rating on the way, never by scanning or sorting.
func TestListUsesAnIndex(t *testing.T) {
	db := testSQLite(t)
	yes := true
	filters := []ListFilter{{}, {StationID: "s"}, {AgentID: "a"}, {ItemID: "i"}, {Category: "c"}, {Status: StatusFailed},
		{From: listEpoch, To: listEpoch.Add(time.Hour)}, {Island: &yes, MinDuration: time.Minute},
		{Cursor: encodeCursor(5, "x")}, {StationID: "s", Cursor: encodeCursor(5, "x")},
		{MinRating: 1, MaxRating: BadRatingMax}, {Unrated: true}, {AgentID: "a", MinRating: 4},
		{MaxRating: BadRatingMax, Cursor: encodeCursor(5, "x")}}
	for _, f := range filters {
		q, args, err := f.query(51)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(context.Background(), `EXPLAIN QUERY PLAN `+q, args...)
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
		drivenByRecordings := strings.HasPrefix(text, "SCAN r USING INDEX") || strings.HasPrefix(text, "SEARCH r USING INDEX")
		if !drivenByRecordings || !strings.Contains(text, "SEARCH g USING INDEX") || strings.Contains(text, "TEMP B-TREE") {
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
		"bad ratings":  {MinRating: 1, MaxRating: BadRatingMax},
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

// TestReviewShowsTheResidentsRating: once the resident rates the call at
// the station, the list shows the score and finds it among the bad
// ratings, and the session page shows the comment too.
func TestReviewShowsTheResidentsRating(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newReviewServer(t, db)
		var page Page
		decode(t, s.do(t, "GET", "/api/v1/recordings?rating=unrated", "supervisor", ""), 200, &page)
		if len(page.Sessions) != 1 || page.Sessions[0].Rating != nil {
			t.Fatalf("before rating: unrated list = %+v", page.Sessions)
		}

		cs := calls.NewStore(db)
		ctx := context.Background()
		if err := cs.End(ctx, testCall.ID, s.now(), "hangup"); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.Rate(ctx, testCall.StationID, testCall.ID, 2, "等了很久才接通", s.now()); err != nil {
			t.Fatal(err)
		}

		for query, want := range map[string]int{"rating=bad": 1, "max_rating=2&station=st-1": 1, "rating=unrated": 0, "min_rating=3": 0} {
			var page Page
			decode(t, s.do(t, "GET", "/api/v1/recordings?"+query, "supervisor", ""), 200, &page)
			if len(page.Sessions) != want {
				t.Errorf("%s: %d sessions, want %d", query, len(page.Sessions), want)
				continue
			}
			if want == 1 && (page.Sessions[0].Rating == nil || page.Sessions[0].Rating.Score != 2) {
				t.Errorf("%s: row rating %+v, want score 2", query, page.Sessions[0].Rating)
			}
		}
		var d SessionDetail
		decode(t, s.do(t, "GET", "/api/v1/recordings/"+testCall.ID, "supervisor", ""), 200, &d)
		if d.Rating == nil || d.Rating.Score != 2 || d.Rating.Comment != "等了很久才接通" || !d.Rating.Bad() {
			t.Errorf("session page rating = %+v", d.Rating)
		}
	})
}

func TestListRefusesBadRatingFilters(t *testing.T) {
	s := newReviewServer(t, testSQLite(t))
	for _, query := range []string{"rating=terrible", "min_rating=0", "max_rating=6", "min_rating=x",
		"min_rating=4&max_rating=2", "rating=bad&min_rating=3", "rating=unrated&max_rating=2"} {
		t.Run(query, func(t *testing.T) {
			var e struct {
				Error struct{ Code, Message string }
			}
			decode(t, s.do(t, "GET", "/api/v1/recordings?"+query, "supervisor", ""), 400, &e)
			if e.Error.Code != "invalid" || e.Error.Message == "" {
				t.Errorf("error = %+v", e.Error)
			}
		})
	}
}
