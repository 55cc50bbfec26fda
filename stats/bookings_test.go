package stats

import (
	"context"
	"testing"
	"time"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// TestBookingsMatchAHandCount seeds bookings in every state, in and out
// of November, and checks the month's counts against a count by hand.
func TestBookingsMatchAHandCount(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seeds := []struct {
			station string
			island  bool
			state   string
			at      time.Time
		}{
			{"st-1", false, "arrived", nov(3, 9, 0)},
			{"st-1", false, "no_show", nov(3, 9, 30)},
			{"st-1", false, "cancelled", nov(4, 9, 0)},
			{"st-2", true, "arrived", nov(5, 10, 0)},
			{"st-2", true, "booked", nov(6, 10, 0)},                 // past and not swept yet: a no-show
			{"st-2", true, "arrived", nov(1, 0, 0).Add(-time.Hour)}, // October
		}
		for i, s := range seeds {
			_, err := db.Exec(ctx, `INSERT INTO appointments (id, code, station_id, station_name, island, item_id, item_name, skill_group,
				slot_at, name_masked, phone_last4, state, booked_by, booked_by_role, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 'i', '事项', 'elderly', ?, '王*', '1234', ?, 'x', 'station', 0, 0)`,
				string(rune('a'+i)), string(rune('A'+i)), s.station, "站"+s.station, s.island, store.Millis(s.at), s.state)
			must(t, err)
		}
		svc := newTestService(db)
		p, err := svc.Period(Month, "2026-11-15", "", "")
		must(t, err)
		rep, err := svc.Report(ctx, p)
		must(t, err)
		b := rep.Bookings
		if b.Booked != 4 || b.Arrived != 2 || b.NoShows != 2 || b.Cancelled != 1 || b.NoShowPct != 50 {
			t.Errorf("bookings %+v, want 4 booked, 2 arrived, 2 no-shows (50%%), 1 cancelled", b)
		}
		if len(b.Station) != 2 || b.Station[0].Key != "st-1" || b.Station[1].NoShows != 1 || !b.Station[1].Island {
			t.Errorf("by station %+v", b.Station)
		}
	})
}
