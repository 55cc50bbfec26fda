package calls

import (
	"context"
	"testing"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func TestTicketNumbersCountPerStationDayAndPrefix(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx, s := context.Background(), NewStore(db)
		cases := []struct {
			station, day, prefix string
			want                 int
		}{
			{"st-1", "2026-03-02", "A", 1},
			{"st-1", "2026-03-02", "A", 2},
			{"st-1", "2026-03-02", "G", 1},
			{"st-2", "2026-03-02", "A", 1},
			{"st-1", "2026-03-03", "A", 1}, // a new day starts again
			{"st-1", "2026-03-02", "A", 3},
		}
		for _, c := range cases {
			got, err := s.NextTicketNumber(ctx, c.station, c.day, c.prefix)
			if err != nil || got != c.want {
				t.Errorf("%s %s %s: number %d, %v; want %d", c.station, c.day, c.prefix, got, err, c.want)
			}
		}
	})
}
