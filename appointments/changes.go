package appointments

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// ByCode finds a booking by its code. Stations, where anyone may stand,
// must also give the phone's last four digits; a wrong pair reads as
// unknown, so codes can't be probed.
func (s *Service) ByCode(ctx context.Context, actor identity.Identity, code, last4 string) (Booking, error) {
	b, _, err := s.byCode(ctx, s.db, actor, code, last4)
	return b, err
}

func (s *Service) byCode(ctx context.Context, q querier, actor identity.Identity, code, last4 string) (Booking, string, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) != CodeLength {
		return Booking{}, "", fmt.Errorf("%w: a booking code has %d characters", ErrInvalid, CodeLength)
	}
	b, stored, err := s.get(ctx, q, "code", code)
	if err != nil {
		return Booking{}, "", err
	}
	staff := actor.Role == identity.RoleSupervisor || actor.Role == identity.RoleAdmin
	if !staff && subtle.ConstantTimeCompare([]byte(stored), []byte(last4)) != 1 {
		return Booking{}, "", fmt.Errorf("booking %s: %w", code, ErrNotFound)
	}
	return b, stored, nil
}

// Cancel cancels a booking still ahead and gives its place back.
func (s *Service) Cancel(ctx context.Context, actor identity.Identity, code, last4 string) (Booking, error) {
	var out Booking
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		b, _, err := s.byCode(ctx, tx, actor, code, last4)
		if err != nil {
			return err
		}
		if b.State != StateBooked {
			return fmt.Errorf("%w: booking %s is %s", ErrConflict, b.Code, b.State)
		}
		if err := s.setState(ctx, tx, b.ID, StateBooked, StateCancelled); err != nil {
			return err
		}
		b.State = StateCancelled
		out = b
		return freePlace(ctx, tx, b.SkillGroup, b.At)
	})
	return out, err
}

// Reschedule moves a booking still ahead to another slot of its group,
// keeping its code. Moved at a station, it belongs to that station from
// then on: that is where the resident will come.
func (s *Service) Reschedule(ctx context.Context, actor identity.Identity, code, last4 string, at time.Time) (Booking, error) {
	b, _, err := s.byCode(ctx, s.db, actor, code, last4)
	if err != nil {
		return Booking{}, err
	}
	capacity, err := s.bookable(ctx, b.SkillGroup, at)
	if err != nil {
		return Booking{}, err
	}
	station := b.StationID
	stationName, island := b.StationName, b.Island
	if actor.Role == identity.RoleStation && actor.AccountID != b.StationID {
		station, stationName, island = actor.AccountID, actor.DisplayName, actor.Island
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		cur, _, err := s.byCode(ctx, tx, actor, code, last4)
		if err != nil {
			return err
		}
		if cur.State != StateBooked {
			return fmt.Errorf("%w: booking %s is %s", ErrConflict, cur.Code, cur.State)
		}
		if err := freePlace(ctx, tx, cur.SkillGroup, cur.At); err != nil {
			return err
		}
		if err := takePlace(ctx, tx, cur.SkillGroup, at, capacity); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE appointments SET slot_at = ?, station_id = ?, station_name = ?, island = ?, updated_at = ?
			WHERE id = ? AND state = ?`, store.Millis(at), station, stationName, island, store.Millis(s.now()), cur.ID, StateBooked)
		return err
	})
	if err != nil {
		return Booking{}, fmt.Errorf("reschedule booking %s: %w", b.Code, err)
	}
	b, _, err = s.get(ctx, s.db, "id", b.ID)
	return b, err
}

// setState moves a booking from one state to another, failing with
// ErrConflict if it is no longer in from.
func (s *Service) setState(ctx context.Context, q querier, id, from, to string) error {
	res, err := q.Exec(ctx, `UPDATE appointments SET state = ?, updated_at = ? WHERE id = ? AND state = ?`,
		to, store.Millis(s.now()), id, from)
	if err != nil {
		return fmt.Errorf("booking %s to %s: %w", id, to, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: booking %s is no longer %s", ErrConflict, id, from)
	}
	return nil
}
