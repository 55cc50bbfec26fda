// Package rectify follows up bad ratings (差评整改): a resident's rating of
// 1 or 2 opens a rectification on the call, which supervisors take on and
// close with a note saying what was fixed. Every step is kept, and every
// change is audited.
package rectify

import (
	"errors"
	"log/slog"
	"time"

	"cloudwindow/audit"
	"cloudwindow/store"
)

// Status is where a rectification stands.
type Status string

// Statuses, in the order a rectification moves through them.
const (
	StatusOpen       Status = "open"
	StatusInProgress Status = "in_progress"
	StatusFixed      Status = "fixed"
)

// BadRatingMax is the highest score that opens a rectification.
const BadRatingMax = 2

// DueAfter is how long supervisors have to fix a bad rating.
const DueAfter = 3 * 24 * time.Hour

// MaxNoteRunes bounds a step's note.
const MaxNoteRunes = 1000

// Errors of the service; HTTP maps them to status codes.
var (
	ErrNotFound = errors.New("no rectification")
	ErrInvalid  = errors.New("invalid rectification change")
	ErrConflict = errors.New("the rectification changed meanwhile")
)

// Rectification is the follow-up of one badly rated call.
type Rectification struct {
	CallID    string    `json:"call_id"`
	StationID string    `json:"station_id"`
	AgentID   string    `json:"agent_id"`
	Score     int       `json:"score"`
	Comment   string    `json:"comment"`
	Status    Status    `json:"status"`
	OwnerID   string    `json:"owner_id"`   // empty until a supervisor takes it on
	OwnerName string    `json:"owner_name"` // likewise
	OpenedAt  time.Time `json:"opened_at"`
	DueAt     time.Time `json:"due_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Overdue   bool      `json:"overdue"` // not fixed and past due when read
	Steps     []Step    `json:"steps,omitempty"`
}

// Step is one change of a rectification.
type Step struct {
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Status    Status    `json:"status"`
	Note      string    `json:"note"`
}

// Service keeps rectifications in the store.
type Service struct {
	db    *store.DB
	audit *audit.Log
	now   func() time.Time
	log   *slog.Logger
}

// NewService returns a Service on db that audits to log and logs to logger
// (nil: nowhere); now is the clock (time.Now outside tests).
func NewService(db *store.DB, log *audit.Log, now func() time.Time, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, audit: log, now: now, log: logger}
}

// markOverdue sets r.Overdue as of now.
func (r *Rectification) markOverdue(now time.Time) {
	r.Overdue = r.Status != StatusFixed && now.After(r.DueAt)
}
