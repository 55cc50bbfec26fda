package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"cloudwindow/store"
)

// Service reads and edits the catalog in the store.
type Service struct {
	db            *store.DB
	data          dataFile
	dataErr       error // a broken items.json; Seed reports it
	known         func(category string) bool
	categoryOrder map[string]int
	cache         cache
	log           *slog.Logger
}

// NewService returns a Service on db that logs to logger (nil: nowhere).
// Call Seed once at start.
func NewService(db *store.DB, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: db, log: logger}
	s.data, s.dataErr = parseData(itemsJSON)
	s.known = categorySet(s.data.Categories)
	s.categoryOrder = make(map[string]int, len(s.data.Categories))
	for i, c := range s.data.Categories {
		s.categoryOrder[c.ID] = i
	}
	return s
}

// Categories lists the categories in display order. Their ids are the
// skill groups agents are given.
func (s *Service) Categories() []Category {
	return append([]Category(nil), s.data.Categories...)
}

// Version is the data file version the store was last seeded with.
func (s *Service) Version(ctx context.Context) (int, error) {
	snap, err := s.enabled(ctx)
	if err != nil {
		return 0, err
	}
	return snap.version, nil
}

// Item returns one item, enabled or not (check Item.Enabled); ErrNotFound
// when no item has that id.
func (s *Service) Item(ctx context.Context, id string) (Item, error) {
	snap, err := s.enabled(ctx)
	if err != nil {
		return Item{}, err
	}
	if i, ok := snap.byID[id]; ok {
		return snap.items[i].clone(), nil
	}
	// Disabled items are not cached, and another node may have created it.
	return loadItem(ctx, s.db, id)
}

// Items returns the items matching q in display order, never nil. Enabled
// items come from the cache; disabled ones (admins only) from the store.
func (s *Service) Items(ctx context.Context, q Query) ([]Item, error) {
	if q.Category != "" && !s.known(q.Category) {
		return nil, invalid("category", "%q is not a known category", q.Category)
	}
	terms := searchTerms(q.Text)
	if !q.IncludeDisabled {
		snap, err := s.enabled(ctx)
		if err != nil {
			return nil, err
		}
		return filter(snap.items, snap.keys, q.Category, terms), nil
	}
	items, err := loadItems(ctx, s.db, true)
	if err != nil {
		return nil, err
	}
	sortForDisplay(items, s.categoryOrder)
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = searchKey(it)
	}
	return filter(items, keys, q.Category, terms), nil
}

// Create adds an item defined by an admin. It is shown to stations only if
// it.Enabled is set. ErrExists when the id is taken; *ValidationError on
// bad fields.
func (s *Service) Create(ctx context.Context, it Item) error {
	it, err := s.check(it)
	if err != nil {
		return err
	}
	it.EditedByAdmin = true
	ok, err := insertItem(ctx, s.db, it, store.Millis(time.Now()))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("create catalog item %s: %w", it.ID, ErrExists)
	}
	s.cache.invalidate()
	return nil
}

// Update replaces the descriptive fields of item it.ID and marks it as
// edited by an admin, so later seeds leave it alone. Enabled is not
// changed here; use SetEnabled.
func (s *Service) Update(ctx context.Context, it Item) error {
	it, err := s.check(it)
	if err != nil {
		return err
	}
	ok, err := updateContent(ctx, s.db, it, true, false, store.Millis(time.Now()))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("update catalog item %s: %w", it.ID, ErrNotFound)
	}
	s.cache.invalidate()
	return nil
}

// SetEnabled shows or hides an item for stations. It does not mark the item
// as edited: a seed may still refresh its text, but never its enabled state.
func (s *Service) SetEnabled(ctx context.Context, id string, enabled bool) error {
	ok, err := setEnabled(ctx, s.db, id, enabled, store.Millis(time.Now()))
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("set enabled of catalog item %s: %w", id, ErrNotFound)
	}
	s.cache.invalidate()
	return nil
}

// Invalidate drops the cached items so the next read goes to the store.
// In a cluster, call it when another node reports a catalog edit.
func (s *Service) Invalidate() { s.cache.invalidate() }

// check returns the normalized item, or why it cannot be stored.
func (s *Service) check(it Item) (Item, error) {
	if s.dataErr != nil {
		return Item{}, s.dataErr
	}
	it = normalize(it)
	if err := validate(it, s.known); err != nil {
		return Item{}, err
	}
	return it, nil
}

// enabled returns the cached snapshot of enabled items, loading it when
// missing or expired.
func (s *Service) enabled(ctx context.Context) (*snapshot, error) {
	now := time.Now()
	snap, gen := s.cache.get(now)
	if snap != nil {
		return snap, nil
	}
	version, err := dataVersion(ctx, s.db)
	if err != nil {
		return nil, err
	}
	items, err := loadItems(ctx, s.db, false)
	if err != nil {
		return nil, err
	}
	sortForDisplay(items, s.categoryOrder)
	snap = newSnapshot(version, items)
	s.cache.put(snap, gen, now)
	return snap, nil
}
