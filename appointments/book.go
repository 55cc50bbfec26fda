package appointments

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"cloudwindow/auth"
	"cloudwindow/cases"
	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// NewBooking is what a station (or an agent, for a case's follow-up) asks
// to book. An agent gives CaseID; the station and, if left out, the item,
// name and phone come from the case.
type NewBooking struct {
	ItemID     string    `json:"item_id"`
	At         time.Time `json:"at"`
	Name       string    `json:"name"`
	PhoneLast4 string    `json:"phone_last4"`
	CaseID     string    `json:"case_id"`
}

// place is where and for what a booking is made.
type place struct {
	station auth.Account
	item    catalog.Item
}

// Book books a slot. Stations book for themselves; agents book the
// follow-up of a case of theirs that still needs materials.
func (s *Service) Book(ctx context.Context, actor identity.Identity, nb NewBooking) (Booking, error) {
	p, err := s.placeFor(ctx, actor, &nb)
	if err != nil {
		return Booking{}, err
	}
	if !validName(nb.Name) {
		return Booking{}, fmt.Errorf("%w: a name of 1 to %d characters is needed", ErrInvalid, maxNameRunes)
	}
	if !validPhoneLast4(nb.PhoneLast4) {
		return Booking{}, fmt.Errorf("%w: the last 4 digits of a phone number are needed", ErrInvalid)
	}
	capacity, err := s.bookable(ctx, p.item.SkillGroup, nb.At)
	if err != nil {
		return Booking{}, err
	}
	now := s.now()
	b := Booking{
		ID: uuid.NewString(), StationID: p.station.ID, StationName: p.station.DisplayName, Island: p.station.Island,
		ItemID: p.item.ID, ItemName: p.item.NameZh, SkillGroup: p.item.SkillGroup, At: nb.At.In(s.opts.Location),
		Name: maskName(nb.Name), CaseID: nb.CaseID, State: StateBooked, BookedBy: string(actor.Role), CreatedAt: now,
	}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := takePlace(ctx, tx, b.SkillGroup, b.At, capacity); err != nil {
			return err
		}
		if b.Code, err = s.freeCode(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO appointments (id, code, station_id, station_name, island, item_id, item_name, skill_group,
			slot_at, name_masked, phone_last4, case_id, state, booked_by, booked_by_role, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.ID, b.Code, b.StationID, b.StationName, b.Island, b.ItemID, b.ItemName, b.SkillGroup, store.Millis(b.At),
			b.Name, nb.PhoneLast4, b.CaseID, b.State, actor.AccountID, b.BookedBy, store.Millis(now), store.Millis(now))
		return err
	})
	if err != nil {
		return Booking{}, fmt.Errorf("book %s at %s: %w", b.ItemID, b.At.Format(time.DateTime), err)
	}
	b.Date, b.Time, b.Phone = b.At.Format("2006-01-02"), b.At.Format("15:04"), maskPhone(nb.PhoneLast4)
	return b, nil
}

// freeCode draws codes until one is unused; with 25^6 codes a second draw
// is rare.
func (s *Service) freeCode(ctx context.Context, tx *store.Tx) (string, error) {
	for range 5 {
		code, err := newCode()
		if err != nil {
			return "", err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM appointments WHERE code = ?`, code).Scan(&n); err != nil {
			return "", fmt.Errorf("check booking code: %w", err)
		}
		if n == 0 {
			return code, nil
		}
	}
	return "", errors.New("no free booking code after 5 draws")
}

// bookable checks that at is a slot of group still ahead, within BookAhead
// days, and returns its capacity.
func (s *Service) bookable(ctx context.Context, group string, at time.Time) (int, error) {
	now := s.now()
	if !at.After(now) {
		return 0, fmt.Errorf("%w: the time has passed", ErrInvalid)
	}
	if !at.Before(s.midnight(now).AddDate(0, 0, BookAhead)) {
		return 0, fmt.Errorf("%w: bookings open %d days ahead", ErrInvalid, BookAhead)
	}
	capacity, err := s.slotCapacity(ctx, group, at.In(s.opts.Location))
	if err != nil {
		return 0, err
	}
	if capacity == 0 {
		return 0, fmt.Errorf("%w: no slot of %s at %s", ErrInvalid, group, at.In(s.opts.Location).Format("2006-01-02 15:04"))
	}
	return capacity, nil
}

// placeFor decides the station and item of a booking from who books it.
func (s *Service) placeFor(ctx context.Context, actor identity.Identity, nb *NewBooking) (place, error) {
	stationID := actor.AccountID
	switch actor.Role {
	case identity.RoleStation:
		nb.CaseID = ""
	case identity.RoleAgent:
		c, err := s.followUpCase(ctx, actor, nb)
		if err != nil {
			return place{}, err
		}
		stationID = c.StationID
	default:
		return place{}, fmt.Errorf("%w: only stations and agents book", ErrForbidden)
	}
	st, err := s.accounts.Account(ctx, stationID)
	if err != nil {
		return place{}, fmt.Errorf("station %s: %w", stationID, err)
	}
	it, err := s.cat.Item(ctx, nb.ItemID)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && !it.Enabled) {
		return place{}, fmt.Errorf("%w: no service item %q", ErrInvalid, nb.ItemID)
	} else if err != nil {
		return place{}, fmt.Errorf("look up item %s: %w", nb.ItemID, err)
	}
	return place{station: st, item: it}, nil
}

// followUpCase checks that an agent books for their own case that needs
// materials, and fills what the booking leaves out from it.
func (s *Service) followUpCase(ctx context.Context, actor identity.Identity, nb *NewBooking) (cases.Case, error) {
	if nb.CaseID == "" {
		return cases.Case{}, fmt.Errorf("%w: an agent books the follow-up of a case: case_id is needed", ErrInvalid)
	}
	c, err := s.cases.Get(ctx, nb.CaseID)
	if errors.Is(err, cases.ErrNotFound) {
		return cases.Case{}, fmt.Errorf("%w: no case %s", ErrInvalid, nb.CaseID)
	} else if err != nil {
		return cases.Case{}, fmt.Errorf("look up case %s: %w", nb.CaseID, err)
	}
	if c.AgentID != actor.AccountID {
		return cases.Case{}, fmt.Errorf("%w: case %s is another agent's", ErrForbidden, c.Number)
	}
	if c.State != cases.StateNeedsMaterials && c.State != cases.StateOpen {
		return cases.Case{}, fmt.Errorf("%w: case %s does not need materials", ErrConflict, c.Number)
	}
	if nb.ItemID == "" {
		nb.ItemID = c.ItemID
	}
	if strings.TrimSpace(nb.Name) == "" {
		nb.Name = c.Resident.Name
	}
	if digits := onlyDigits(c.Resident.Phone); nb.PhoneLast4 == "" && len(digits) >= 4 {
		nb.PhoneLast4 = digits[len(digits)-4:]
	}
	return c, nil
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
