package catalog

import (
	"context"
	"sync"
	"testing"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// Nodes of a cluster start together and each seeds the shared database.
func TestConcurrentSeedsAddEachItemOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		nodes := []*Service{NewService(db, nil), NewService(db, nil), NewService(db, nil)}
		errs := make([]error, len(nodes))
		var wg sync.WaitGroup
		for i, s := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Seed(ctx)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("node %d seed: %v", i, err)
			}
		}
		if got, want := len(allItems(t, nodes[0])), len(embeddedData(t).Items); got != want {
			t.Fatalf("%d items after concurrent seeds, want %d", got, want)
		}
	})
}

// Readers and an editor share one Service, as the station, the queue and
// the admin console do; run with -race.
func TestReadsDuringEdits(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					if _, err := s.Items(ctx, Query{Text: "补贴"}); err != nil {
						t.Error(err)
						return
					}
					if _, err := s.Item(ctx, "dp-008"); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		for i := range 10 {
			if err := s.SetEnabled(ctx, "dp-007", i%2 == 1); err != nil {
				t.Fatal(err)
			}
		}
		wg.Wait()
		if it := mustItem(t, s, "dp-007"); !it.Enabled {
			t.Fatal("last edit (enable) lost")
		}
	})
}
