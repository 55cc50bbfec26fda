package calls

import (
	"context"
	"errors"
	"testing"
	"time"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func TestRatingOncePerEndedCallOfTheStation(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx, s := context.Background(), NewStore(db)
		now := time.Now()
		for _, id := range []string{"ended", "running"} {
			if err := s.Create(ctx, Call{ID: id, StationID: "st-1", AgentID: "ag-1", AcceptedAt: now}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.End(ctx, "ended", now, "hangup"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, station, call string
			want                error
		}{
			{"another station's call", "st-2", "ended", ErrNotYours},
			{"a running call", "st-1", "running", ErrNotEnded},
			{"no such call", "st-1", "nope", ErrNotFound},
			{"its own ended call", "st-1", "ended", nil},
			{"a second time", "st-1", "ended", ErrAlreadyRated},
		}
		for _, tc := range cases {
			r, err := s.Rate(ctx, tc.station, tc.call, 2, "等太久", now)
			if !errors.Is(err, tc.want) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
			}
			if err == nil && (r.AgentID != "ag-1" || r.Score != 2) {
				t.Errorf("%s: rating %+v", tc.name, r)
			}
		}
	})
}
