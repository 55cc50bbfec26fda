package stats

import (
	"context"
	"testing"

	"cloudwindow/catalog"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// TestSeedFillsTheMonth: seed-calls writes the requests it says, all in
// the month asked for, with their calls, cases and ratings consistent
// enough for every figure to have something to count.
func TestSeedFillsTheMonth(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		items := []catalog.Item{{ID: "med1", NameZh: "医保事项", Category: "medical_insurance"}, {ID: "soc1", NameZh: "社保事项", Category: "social_security"}}
		month := nov(1, 0, 0)
		must(t, Seed(ctx, db, SeedOptions{Calls: 900, Month: month, Stations: 5, Agents: 3, Items: items, Seed: 7}))
		s := newTestService(db)
		p, err := s.Period(Month, "2026-11-01", "", "")
		must(t, err)
		rep, err := s.Report(ctx, p)
		must(t, err)
		f := rep.Total
		if f.Requests != 900 || f.Answered+f.Abandoned != 900 || f.Abandoned == 0 || f.Answered == 0 {
			t.Errorf("requests %d, answered %d, abandoned %d: want 900 in the month", f.Requests, f.Answered, f.Abandoned)
		}
		if f.Rated == 0 || f.BadRatings == 0 || f.BadFollowedUp == 0 || f.OverdueCases == 0 || f.Outcomes.None != 0 {
			t.Errorf("figures %+v: want ratings, follow-ups and overdue cases, every call wrapped up", f)
		}
		islands := 0
		for _, st := range rep.Station {
			if st.Island {
				islands++
			}
		}
		if len(rep.Station) != 5 || len(rep.Agent) != 3 || islands != 1 {
			t.Errorf("%d stations, %d agents: want 5 and 3, one island among them (%d)", len(rep.Station), len(rep.Agent), islands)
		}
		p, _ = s.Period(Month, "2026-10-01", "", "")
		if rep, _ := s.Report(ctx, p); rep.Total.Requests != 0 {
			t.Errorf("October has %d requests, want none", rep.Total.Requests)
		}
	})
}
