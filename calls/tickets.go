package calls

import (
	"context"
	"fmt"
)

// NextTicketNumber issues the station's next ticket number for the day
// (a local date, YYYY-MM-DD) and prefix: 1 for the first of the day.
// Concurrent callers, on any node, each get a number of their own.
func (s *Store) NextTicketNumber(ctx context.Context, stationID, day, prefix string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, `INSERT INTO station_ticket_numbers (station_id, day, prefix, last_number)
		VALUES (?, ?, ?, 1)
		ON CONFLICT (station_id, day, prefix) DO UPDATE SET last_number = station_ticket_numbers.last_number + 1
		RETURNING last_number`, stationID, day, prefix).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next ticket number of %s on %s: %w", stationID, day, err)
	}
	return n, nil
}
