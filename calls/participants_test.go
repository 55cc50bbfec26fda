package calls

import (
	"context"
	"testing"
	"time"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func TestParticipatedCoversTheFirstAgentAndLaterParticipants(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx, s := context.Background(), NewStore(db)
		now := time.Now()
		if err := s.Create(ctx, Call{ID: "c1", StationID: "st-1", AgentID: "ag-1", AcceptedAt: now}); err != nil {
			t.Fatal(err)
		}
		for range 2 { // joining twice in one role is one participation
			if err := s.AddParticipant(ctx, "c1", "bo-1", "consulted", now); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name, call, account string
			want                bool
		}{
			{"the first agent", "c1", "ag-1", true},
			{"the consulted back office", "c1", "bo-1", true},
			{"a stranger", "c1", "ag-9", false},
			{"the back office on another call", "c2", "bo-1", false},
			{"no account", "c1", "", false},
		}
		for _, tc := range cases {
			got, err := s.Participated(ctx, tc.call, tc.account)
			if err != nil || got != tc.want {
				t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
			}
		}
	})
}
