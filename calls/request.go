package calls

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/store"
)

// Request is a station's call request as it entered the queue. Requests
// that never became a call (same id) were abandoned: the statistics count
// them from here, since the queue itself keeps no history.
type Request struct {
	ID          string
	StationID   string
	StationName string
	Island      bool
	ItemID      string
	ItemName    string
	Category    string
	Green       bool
	RequestedAt time.Time
}

// RecordRequest keeps r; recording the same request twice keeps the first.
func (s *Store) RecordRequest(ctx context.Context, r Request) error {
	_, err := s.db.Exec(ctx, `INSERT INTO call_requests (id, station_id, station_name, island, item_id, item_name,
		category, green, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		r.ID, r.StationID, r.StationName, r.Island, r.ItemID, r.ItemName, r.Category, r.Green, store.Millis(r.RequestedAt))
	if err != nil {
		return fmt.Errorf("record call request %s: %w", r.ID, err)
	}
	return nil
}
