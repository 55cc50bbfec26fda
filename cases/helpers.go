package cases

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// Helper is a station helper (代办员) who acted for the resident in the
// case's call.
type Helper struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	JoinedAt time.Time `json:"joined_at"`
}

// AddHelper records that helper acted for the resident of the case's call
// at station; the case's timeline gets a helper_joined event the first
// time only.
func (s *Service) AddHelper(ctx context.Context, caseID string, helper, station identity.Identity) error {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return err
	}
	e := s.newEvent(c, "helper_joined", helper, c.State, station.DisplayName)
	added := false
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO case_helpers (case_id, helper_id, helper_name, station_id, joined_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (case_id, helper_id) DO NOTHING`,
			c.ID, helper.AccountID, actorName(helper), station.AccountID, store.Millis(e.At))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		added = true
		return insertEvent(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("record helper of case %s: %w", c.Number, err)
	}
	if added {
		s.emit(e)
	}
	return nil
}

// Helpers lists who helped the resident in the case's call, first first.
func (s *Service) Helpers(ctx context.Context, c Case) ([]Helper, error) {
	rows, err := s.db.Query(ctx, `SELECT helper_id, helper_name, joined_at FROM case_helpers
		WHERE case_id = ? ORDER BY joined_at, helper_id`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list helpers of case %s: %w", c.Number, err)
	}
	defer rows.Close()
	out := []Helper{}
	for rows.Next() {
		var h Helper
		var at int64
		if err := rows.Scan(&h.ID, &h.Name, &at); err != nil {
			return nil, fmt.Errorf("scan helper of case %s: %w", c.Number, err)
		}
		h.JoinedAt = store.Time(at)
		out = append(out, h)
	}
	return out, rows.Err()
}
