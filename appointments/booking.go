package appointments

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cloudwindow/store"
)

// Booking is one appointment. The name is masked and the phone is only its
// last four digits, also masked: nothing here needs more.
type Booking struct {
	ID          string    `json:"id"`
	Code        string    `json:"code"`
	StationID   string    `json:"station_id"`
	StationName string    `json:"station_name"`
	Island      bool      `json:"island"`
	ItemID      string    `json:"item_id"`
	ItemName    string    `json:"item_name"`
	SkillGroup  string    `json:"skill_group"`
	At          time.Time `json:"at"`
	Date        string    `json:"date"`
	Time        string    `json:"time"`
	Name        string    `json:"name"`  // masked
	Phone       string    `json:"phone"` // masked: last four digits only
	CaseID      string    `json:"case_id,omitempty"`
	State       string    `json:"state"`
	BookedBy    string    `json:"booked_by_role"`
	CreatedAt   time.Time `json:"created_at"`
}

const bookingColumns = `id, code, station_id, station_name, island, item_id, item_name, skill_group, slot_at,
	name_masked, phone_last4, case_id, state, booked_by_role, created_at`

type scanner interface{ Scan(dest ...any) error }

// scanBooking reads a row of bookingColumns; it returns the phone's last
// four digits apart, for checks only.
func (s *Service) scanBooking(row scanner) (Booking, string, error) {
	var b Booking
	var at, created int64
	var last4 string
	err := row.Scan(&b.ID, &b.Code, &b.StationID, &b.StationName, &b.Island, &b.ItemID, &b.ItemName, &b.SkillGroup, &at,
		&b.Name, &last4, &b.CaseID, &b.State, &b.BookedBy, &created)
	if err != nil {
		return Booking{}, "", err
	}
	b.At, b.CreatedAt = store.Time(at).In(s.opts.Location), store.Time(created)
	b.Date, b.Time = b.At.Format("2006-01-02"), b.At.Format("15:04")
	b.Phone = maskPhone(last4)
	if b.State == StateBooked && !s.now().Before(b.At.Add(NoShowAfter)) {
		b.State = StateNoShow // the sweep has not run yet
	}
	return b, last4, nil
}

// get reads one booking by a column (id or code).
func (s *Service) get(ctx context.Context, q querier, column, value string) (Booking, string, error) {
	row := q.QueryRow(ctx, `SELECT `+bookingColumns+` FROM appointments WHERE `+column+` = ?`, value)
	b, last4, err := s.scanBooking(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Booking{}, "", fmt.Errorf("booking %s: %w", value, ErrNotFound)
	} else if err != nil {
		return Booking{}, "", fmt.Errorf("read booking %s: %w", value, err)
	}
	return b, last4, nil
}

type querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// codeAlphabet leaves out letters and digits read alike (0/O, 1/I/L, 2/Z,
// 5/S, 8/B) so a code read aloud or typed from a slip comes out right.
const codeAlphabet = "ACDEFGHJKMNPQRTUVWXY34679"

// CodeLength is the length of booking codes.
const CodeLength = 6

func newCode() (string, error) {
	b := make([]byte, CodeLength)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("booking code: %w", err)
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b), nil
}

// takePlace counts one more booking in a slot if it has room: a single
// conditional UPDATE, so concurrent bookings can't overfill it.
func takePlace(ctx context.Context, tx *store.Tx, group string, at time.Time, capacity int) error {
	ms := store.Millis(at)
	if _, err := tx.Exec(ctx, `INSERT INTO appointment_slots (skill_group, slot_at, booked) VALUES (?, ?, 0)
		ON CONFLICT (skill_group, slot_at) DO NOTHING`, group, ms); err != nil {
		return fmt.Errorf("add slot %s %d: %w", group, ms, err)
	}
	res, err := tx.Exec(ctx, `UPDATE appointment_slots SET booked = booked + 1 WHERE skill_group = ? AND slot_at = ? AND booked < ?`,
		group, ms, capacity)
	if err != nil {
		return fmt.Errorf("take slot %s %d: %w", group, ms, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrFull
	}
	return nil
}

// freePlace gives a booking's place back.
func freePlace(ctx context.Context, tx *store.Tx, group string, at time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE appointment_slots SET booked = booked - 1 WHERE skill_group = ? AND slot_at = ? AND booked > 0`,
		group, store.Millis(at))
	if err != nil {
		return fmt.Errorf("free slot %s: %w", group, err)
	}
	return nil
}
