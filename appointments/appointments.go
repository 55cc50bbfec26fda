// Package appointments books residents into time slots (预约): slots per
// skill group come from the agents' schedules on the working-day calendar,
// each with a capacity; a booking carries a short code for its slip, is
// cancelled or moved by that code, lets its station's call go ahead of the
// queue at its time and lapses as a no-show ten minutes after it.
package appointments

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"cloudwindow/audit"
	"cloudwindow/auth"
	"cloudwindow/cases"
	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// Timing of slots and bookings.
const (
	SlotLength = 30 * time.Minute
	// NoShowAfter is how long after its slot a booking nobody came for
	// lapses; until then the resident may still be called ahead.
	NoShowAfter = 10 * time.Minute
	// EarlyWindow is how long before its slot a booking shows at its station
	// and may be used for a call; it goes ahead only once the slot begins.
	EarlyWindow = 10 * time.Minute
	// BookAhead is how many days ahead residents may book.
	BookAhead = 14
)

// Booking states.
const (
	StateBooked    = "booked"
	StateArrived   = "arrived" // its call was requested
	StateCancelled = "cancelled"
	StateNoShow    = "no_show"
)

// Errors callers can test with errors.Is.
var (
	ErrNotFound  = errors.New("not found")
	ErrInvalid   = errors.New("invalid request")
	ErrForbidden = errors.New("not allowed")
	ErrFull      = errors.New("the slot is full")
	ErrConflict  = errors.New("not possible in the booking's current state")
)

// Catalog looks up service items.
type Catalog interface {
	Item(ctx context.Context, id string) (catalog.Item, error)
}

// Accounts looks up agents and stations.
type Accounts interface {
	Account(ctx context.Context, id string) (auth.Account, error)
	Accounts(ctx context.Context, role identity.Role) ([]auth.Account, error)
}

// Cases looks up the case an agent books a follow-up for.
type Cases interface {
	Get(ctx context.Context, id string) (cases.Case, error)
}

// Options configure a Service.
type Options struct {
	Calendar cases.Calendar // the working-day calendar cases use
	Location *time.Location // the center's time zone; default Local
	Now      func() time.Time
	// GroupName names a skill group for supervisors (the catalog's
	// category names); default the id.
	GroupName func(string) string
	Logger    *slog.Logger
}

// Service keeps schedules and bookings.
type Service struct {
	db       *store.DB
	cat      Catalog
	accounts Accounts
	cases    Cases
	audit    *audit.Log
	opts     Options
	log      *slog.Logger
}

// NewService returns a Service on db.
func NewService(db *store.DB, cat Catalog, accounts Accounts, cs Cases, al *audit.Log, opts Options) *Service {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.GroupName == nil {
		opts.GroupName = func(id string) string { return id }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, cat: cat, accounts: accounts, cases: cs, audit: al, opts: opts, log: opts.Logger}
}

func (s *Service) now() time.Time { return s.opts.Now().In(s.opts.Location) }
