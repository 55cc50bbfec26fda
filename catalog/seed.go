package catalog

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/store"
)

// Seed brings the store up to the embedded data file: items missing from
// the store are added (enabled); when the file's version is newer than the
// one last seeded, items no admin has edited take the file's text. Nothing
// is ever deleted, and an older file never rolls items back. Safe to run on
// every start and on several nodes at once.
func (s *Service) Seed(ctx context.Context) error {
	if s.dataErr != nil {
		return s.dataErr
	}
	return s.seed(ctx, s.data)
}

// seedCounts says what one seed changed, for the log.
type seedCounts struct{ added, updated int }

func (s *Service) seed(ctx context.Context, f dataFile) error {
	var n seedCounts
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		n, err = seedTx(ctx, tx, f)
		return err
	})
	if err != nil {
		return fmt.Errorf("seed catalog data version %d: %w", f.Version, err)
	}
	s.cache.invalidate()
	if n.added > 0 || n.updated > 0 {
		s.log.Info("catalog seeded", "version", f.Version, "added", n.added, "updated", n.updated)
	}
	return nil
}

func seedTx(ctx context.Context, tx *store.Tx, f dataFile) (seedCounts, error) {
	var n seedCounts
	if err := lockDataVersion(ctx, tx); err != nil {
		return n, err
	}
	stored, err := dataVersion(ctx, tx)
	if err != nil {
		return n, err
	}
	have, err := itemIDs(ctx, tx)
	if err != nil {
		return n, err
	}
	newer := f.Version > stored
	now := store.Millis(time.Now())
	for _, it := range f.Items {
		if !have[it.ID] {
			it.Enabled, it.EditedByAdmin = true, false
			added, err := insertItem(ctx, tx, it, now)
			if err != nil {
				return n, err
			}
			n.added += count(added)
			continue
		}
		if newer {
			updated, err := updateContent(ctx, tx, it, false, true, now)
			if err != nil {
				return n, err
			}
			n.updated += count(updated)
		}
	}
	if newer {
		return n, raiseDataVersion(ctx, tx, f.Version)
	}
	return n, nil
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}
