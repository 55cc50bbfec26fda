package rectify

import (
	"context"
	"errors"
	"testing"

	"cloudwindow/audit"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func TestBadRatingOpensOneRectification(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log, c := newTestService(t, db)
		s.OpenFor(ctx, rating("call-bad", 2), station)
		s.OpenFor(ctx, rating("call-bad", 2), station)
		s.OpenFor(ctx, rating("call-good", 4), station)

		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].CallID != "call-bad" {
			t.Fatalf("rectifications %+v, want only call-bad's", list)
		}
		r := list[0]
		if r.Status != StatusOpen || r.OwnerID != "" || !r.DueAt.Equal(c.t.Add(DueAfter)) || r.Score != 2 {
			t.Errorf("opened %+v", r)
		}
		got, err := s.Get(ctx, "call-bad")
		if err != nil || len(got.Steps) != 1 || got.Steps[0].Status != StatusOpen {
			t.Errorf("steps %+v, %v; want one open step", got.Steps, err)
		}
		entries, err := log.List(ctx, audit.Filter{ObjectID: "call-bad"})
		if err != nil || len(entries) != 1 || entries[0].Action != "rectification.open" {
			t.Errorf("audit %+v, %v; want one rectification.open", entries, err)
		}
		if _, err := s.Open(ctx, rating("call-good", 4), station); !errors.Is(err, ErrInvalid) {
			t.Errorf("open a 4-star rating: %v, want ErrInvalid", err)
		}
	})
}

func TestUpdateMovesOnlyForward(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, _ := newTestService(t, db)
		for _, id := range []string{"a", "b"} {
			if _, err := s.Open(ctx, rating(id, 1), station); err != nil {
				t.Fatal(err)
			}
		}
		steps := []struct {
			name, call string
			status     Status
			note       string
			want       error
		}{
			{"back to open", "a", StatusOpen, "x", ErrInvalid},
			{"unknown status", "a", "done", "x", ErrInvalid},
			{"close without a note", "a", StatusFixed, "  ", ErrInvalid},
			{"no such call", "nope", StatusInProgress, "", ErrNotFound},
			{"start", "a", StatusInProgress, "", nil},
			{"start again", "a", StatusInProgress, "", ErrInvalid},
			{"close", "a", StatusFixed, "已约谈坐席并回访居民", nil},
			{"close again", "a", StatusFixed, "again", ErrInvalid},
			{"reopen", "a", StatusInProgress, "", ErrInvalid},
			{"close straight from open", "b", StatusFixed, "回访后居民满意", nil},
		}
		for _, st := range steps {
			if _, err := s.Update(ctx, st.call, st.status, st.note, supervisor); !errors.Is(err, st.want) {
				t.Errorf("%s: %v, want %v", st.name, err, st.want)
			}
		}
		a, err := s.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != StatusFixed || a.OwnerID != supervisor.AccountID || a.OwnerName != "张主管" {
			t.Errorf("after closing: %+v", a)
		}
		want := []Status{StatusOpen, StatusInProgress, StatusFixed}
		if len(a.Steps) != len(want) {
			t.Fatalf("steps %+v, want %v", a.Steps, want)
		}
		for i, st := range a.Steps {
			if st.Status != want[i] {
				t.Errorf("step %d is %s, want %s", i, st.Status, want[i])
			}
		}
		if a.Steps[2].Note != "已约谈坐席并回访居民" {
			t.Errorf("closing note %q", a.Steps[2].Note)
		}
	})
}

func TestListPutsOpenFirstAndMarksOverdue(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, c := newTestService(t, db)
		for _, id := range []string{"fixed", "started", "open"} {
			if _, err := s.Open(ctx, rating(id, 1), station); err != nil {
				t.Fatal(err)
			}
		}
		mustUpdate(t, s, "fixed", StatusFixed, "已整改")
		mustUpdate(t, s, "started", StatusInProgress, "")
		c.t = c.t.Add(DueAfter + 1)

		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		order := []string{"open", "started", "fixed"}
		overdue := []bool{true, true, false}
		if len(list) != 3 {
			t.Fatalf("listed %d, want 3", len(list))
		}
		for i, r := range list {
			if r.CallID != order[i] || r.Overdue != overdue[i] {
				t.Errorf("row %d: %s overdue=%v, want %s overdue=%v", i, r.CallID, r.Overdue, order[i], overdue[i])
			}
		}
		pending, err := s.List(ctx, StatusOpen, StatusInProgress)
		if err != nil || len(pending) != 2 {
			t.Errorf("pending %d, %v; want 2", len(pending), err)
		}
		if _, err := s.List(ctx, "closed"); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown status: %v, want ErrInvalid", err)
		}
	})
}

func mustUpdate(t *testing.T, s *Service, callID string, status Status, note string) {
	t.Helper()
	if _, err := s.Update(context.Background(), callID, status, note, supervisor); err != nil {
		t.Fatal(err)
	}
}
