package calls

import (
	"context"
	"slices"
	"testing"
	"time"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func TestCloseLostEndsOnlyTheNodesOpenCalls(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx, s := context.Background(), NewStore(db)
		now := time.Now()
		for _, c := range []Call{
			{ID: "a-open", Node: "node-a"}, {ID: "a-ended", Node: "node-a"}, {ID: "b-open", Node: "node-b"},
		} {
			c.StationID, c.AgentID, c.AcceptedAt = "st-1", "ag-1", now
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.End(ctx, "a-ended", now, "hangup"); err != nil {
			t.Fatal(err)
		}
		ids, err := s.CloseLost(ctx, "node-a", now.Add(time.Minute))
		if err != nil || !slices.Equal(ids, []string{"a-open"}) {
			t.Fatalf("closed %q, %v; want a-open only", ids, err)
		}
		live, err := s.Live(ctx, time.Hour)
		if err != nil || len(live) != 1 || live[0].ID != "b-open" {
			t.Fatalf("live calls %+v, %v; want node-b's only", live, err)
		}
		for id, want := range map[string]string{"a-open": EndReasonNodeLost, "a-ended": "hangup"} {
			if c, _ := s.Get(ctx, id); c.EndReason != want {
				t.Errorf("call %s ended as %q, want %q", id, c.EndReason, want)
			}
		}
		events, _ := s.Events(ctx, "a-open")
		if len(events) != 1 || events[0].Type != "hangup" || events[0].Detail != EndReasonNodeLost {
			t.Errorf("timeline of the lost call = %+v, want a hang-up saying node_lost", events)
		}
	})
}

func TestMovedCallIsNotClosedAsLost(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx, s := context.Background(), NewStore(db)
		now := time.Now()
		for _, id := range []string{"moves", "stays"} {
			c := Call{ID: id, Node: "dead", StationID: "st-1", AgentID: "ag-1", AcceptedAt: now}
			if err := s.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if moved, err := s.Move(ctx, "moves", "dead", "alive"); err != nil || !moved {
			t.Fatalf("move: %v %v", moved, err)
		}
		// A second survivor that was slower finds it gone.
		if moved, err := s.Move(ctx, "moves", "dead", "other"); err != nil || moved {
			t.Fatalf("moved twice: %v %v", moved, err)
		}
		nodes, err := s.OpenNodes(ctx)
		slices.Sort(nodes)
		if err != nil || !slices.Equal(nodes, []string{"alive", "dead"}) {
			t.Fatalf("nodes with open calls %q, %v", nodes, err)
		}
		ids, err := s.CloseLost(ctx, "dead", now)
		if err != nil || !slices.Equal(ids, []string{"stays"}) {
			t.Fatalf("closed %q, %v; want stays only", ids, err)
		}
		if c, _ := s.Get(ctx, "moves"); !c.EndedAt.IsZero() || c.Node != "alive" {
			t.Fatalf("the moved call: %+v", c)
		}
		if moved, err := s.Move(ctx, "stays", "dead", "alive"); err != nil || moved {
			t.Fatalf("a closed call moved: %v %v", moved, err)
		}
	})
}
