package appointments

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/store"
)

// Due lists a station's bookings that may be called now: from EarlyWindow
// before their slot until they lapse, not cancelled.
func (s *Service) Due(ctx context.Context, stationID string) ([]Booking, error) {
	now := s.now()
	rows, err := s.db.Query(ctx, `SELECT `+bookingColumns+` FROM appointments
		WHERE station_id = ? AND slot_at > ? AND slot_at <= ? AND state IN (?, ?) ORDER BY slot_at, created_at`,
		stationID, store.Millis(now.Add(-NoShowAfter)), store.Millis(now.Add(EarlyWindow)), StateBooked, StateArrived)
	if err != nil {
		return nil, fmt.Errorf("due bookings of %s: %w", stationID, err)
	}
	defer rows.Close()
	out := []Booking{}
	for rows.Next() {
		b, _, err := s.scanBooking(rows)
		if err != nil {
			return nil, fmt.Errorf("scan booking: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Arrive checks a booking a station's call request names, rather than
// trusting the station: it must exist, be this station's, be for this
// item and be due now. It marks the booking arrived and returns when its
// slot begins, which is when the queue puts the call ahead.
func (s *Service) Arrive(ctx context.Context, id, stationID, itemID, requestID string) (time.Time, error) {
	b, _, err := s.get(ctx, s.db, "id", id)
	if err != nil {
		return time.Time{}, err
	}
	now := s.now()
	switch {
	case b.StationID != stationID:
		return time.Time{}, fmt.Errorf("%w: booking %s is for another station", ErrForbidden, b.Code)
	case b.ItemID != itemID:
		return time.Time{}, fmt.Errorf("%w: booking %s is for %s", ErrInvalid, b.Code, b.ItemName)
	case b.State != StateBooked && b.State != StateArrived:
		return time.Time{}, fmt.Errorf("%w: booking %s is %s", ErrConflict, b.Code, b.State)
	case !now.Before(b.At.Add(NoShowAfter)):
		return time.Time{}, fmt.Errorf("%w: booking %s has lapsed", ErrConflict, b.Code)
	case now.Before(b.At.Add(-EarlyWindow)):
		return time.Time{}, fmt.Errorf("%w: booking %s is at %s %s", ErrConflict, b.Code, b.Date, b.Time)
	}
	// Another request of the same booking (the resident gave up waiting and
	// asked again) keeps it arrived.
	res, err := s.db.Exec(ctx, `UPDATE appointments SET state = ?, request_id = ?, updated_at = ? WHERE id = ? AND state IN (?, ?)`,
		StateArrived, requestID, store.Millis(now), id, StateBooked, StateArrived)
	if err != nil {
		return time.Time{}, fmt.Errorf("mark booking %s arrived: %w", b.Code, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return time.Time{}, fmt.Errorf("%w: booking %s changed meanwhile", ErrConflict, b.Code)
	}
	return b.At, nil
}

// Lapse marks bookings nobody came for as no-shows, NoShowAfter past their
// slot, and returns how many.
func (s *Service) Lapse(ctx context.Context) (int, error) {
	now := s.now()
	res, err := s.db.Exec(ctx, `UPDATE appointments SET state = ?, updated_at = ? WHERE state = ? AND slot_at <= ?`,
		StateNoShow, store.Millis(now), StateBooked, store.Millis(now.Add(-NoShowAfter)))
	if err != nil {
		return 0, fmt.Errorf("lapse bookings: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// LapseInterval is how often Run lapses bookings.
const LapseInterval = 30 * time.Second

// Run lapses no-shows every interval until ctx ends. Reads already show a
// booking past its time as a no-show, so the interval only bounds how
// long the stored state lags.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Lapse(ctx); err != nil {
				s.log.Error("lapse bookings", "err", err)
			} else if n > 0 {
				s.log.Info("bookings lapsed as no-shows", "count", n)
			}
		}
	}
}
