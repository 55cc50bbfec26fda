package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// Options tunes a Service; the zero value is usable.
type Options struct {
	// Calendar decides working days for due dates (default Monday to Friday).
	Calendar Calendar
	// Location is the center's time zone: it decides "today" for due dates
	// and case numbers. Default time.Local.
	Location *time.Location

	// A station whose case-number lookups found nothing LookupFailures
	// times within LookupWindow may not look up more until the window
	// ends (defaults 10 in 10 minutes): check digits are only as good as
	// the number of guesses allowed.
	LookupFailures int
	LookupWindow   time.Duration

	Logger *slog.Logger // nil: logs nowhere

	// Hooks run after the change is committed, on the caller's goroutine,
	// so they must not block: hand the value to a queue or a session.
	OnEvent     func(Event)     // every case event, e.g. to copy into the call timeline
	OnForm      func(Form)      // a form was pushed: show it on the call's station
	OnSignature func(Signature) // a form was signed: show it to the call's agent
}

// Service keeps cases in the store.
type Service struct {
	db      *store.DB
	calls   *calls.Store // the call records on the same store
	lookups *lookupGuard
	cat     *catalog.Service
	audit   *audit.Log
	now     func() time.Time
	opts    Options
	starts  startCommitter
}

// NewService returns a Service on db. now is the clock (time.Now if nil);
// log receives an entry for every view of a case's personal data.
func NewService(db *store.DB, cat *catalog.Service, log *audit.Log, now func() time.Time, opts Options) *Service {
	if now == nil {
		now = time.Now
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, calls: calls.NewStore(db), lookups: newLookupGuard(opts.LookupFailures, opts.LookupWindow),
		cat: cat, audit: log, now: now, opts: opts}
}

// today is the center's current local time.
func (s *Service) today() time.Time { return s.now().In(s.opts.Location) }

// OpenForCall opens the case of call c, or returns the one already open
// for it: calling it again for the same call never opens a second case.
func (s *Service) OpenForCall(ctx context.Context, c calls.Call) (Case, error) {
	if c.ID == "" || c.StationID == "" || c.ItemID == "" {
		return Case{}, fmt.Errorf("open case: call id, station and item are required: %w", ErrInvalid)
	}
	if existing, err := s.ForCall(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		return existing, err
	}
	var cs Case
	var ev Event
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		cs, ev, err = s.openIn(ctx, tx, c)
		return err
	})
	if err != nil {
		// The usual cause is a concurrent opening for the same call, which
		// won on the unique call_id: its case is the answer.
		if existing, gerr := s.ForCall(ctx, c.ID); gerr == nil {
			return existing, nil
		}
		return Case{}, fmt.Errorf("open case for call %s: %w", c.ID, err)
	}
	s.emit(ev)
	return cs, nil
}

// openIn opens the case of call c on q: its number, the case and its
// "opened" event.
func (s *Service) openIn(ctx context.Context, q store.Querier, c calls.Call) (Case, Event, error) {
	now := s.now()
	cs := Case{
		ID: uuid.NewString(), CallID: c.ID, StationID: c.StationID, StationName: c.StationName,
		AgentID: c.AgentID, AgentName: c.AgentName, ItemID: c.ItemID, ItemName: c.ItemName,
		State: StateOpen, Missing: []string{}, OpenedAt: now, UpdatedAt: now,
	}
	agent := identity.Identity{AccountID: c.AgentID, DisplayName: c.AgentName}
	ev := s.newEvent(cs, "opened", agent, StateOpen, c.ItemName)
	number, err := nextNumber(ctx, q, s.today().Format("20060102"))
	if err != nil {
		return Case{}, Event{}, err
	}
	cs.Number = number
	ev.Detail = number + " " + c.ItemName
	if err := insertCase(ctx, q, cs); err != nil {
		return Case{}, Event{}, err
	}
	if err := insertEvent(ctx, q, ev); err != nil {
		return Case{}, Event{}, err
	}
	return cs, ev, nil
}

// Get returns a case by id, with the resident's details in full: only for
// the case's agent, supervisors and admins.
func (s *Service) Get(ctx context.Context, id string) (Case, error) {
	return loadCase(ctx, s.db, "id", id)
}

// ForCall returns the case of a call.
func (s *Service) ForCall(ctx context.Context, callID string) (Case, error) {
	return loadCase(ctx, s.db, "call_id", callID)
}

// ByNumber returns the status of the case a resident quotes, as viewer may
// see it. Staff see any case. A station sees its own cases, and another
// station's only by the whole number with its check digits and without
// the item (what someone applied for is nobody else's business); a
// number without check digits, or a wrong one, is not found.
func (s *Service) ByNumber(ctx context.Context, number string, viewer identity.Identity) (Status, error) {
	canon, hasCheck, ok := canonicalNumber(number)
	if !ok {
		return Status{}, fmt.Errorf("case number %q: %w", number, ErrNotFound)
	}
	c, err := loadCase(ctx, s.db, "number", canon)
	if err != nil {
		return Status{}, err
	}
	st := Status{Number: c.Number, State: c.State, DueDate: c.DueDate}
	if viewer.Role == identity.RoleStation && !c.AtStation(viewer) {
		if !hasCheck {
			// Worded as when no case has the number: it must not tell.
			return Status{}, fmt.Errorf("case with number %s: %w", canon, ErrNotFound)
		}
		return st, nil
	}
	st.ItemName = c.ItemName
	if it, err := s.cat.Item(ctx, c.ItemID); err == nil {
		st.ItemNameEn = it.NameEn
	}
	return st, nil
}

// Overdue lists the forwarded cases whose due date has passed, most
// overdue first, with the residents' details masked.
func (s *Service) Overdue(ctx context.Context) ([]Case, error) {
	today := s.today().Format(DateLayout)
	list, err := listCases(ctx, s.db, `state = ? AND due_date <> '' AND due_date < ? ORDER BY due_date, number`,
		string(StateForwarded), today)
	if err != nil {
		return nil, fmt.Errorf("list overdue cases: %w", err)
	}
	for i := range list {
		list[i].Resident = list[i].Resident.Masked()
	}
	return list, nil
}

// Detail returns the whole case page.
func (s *Service) Detail(ctx context.Context, id string) (Detail, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Case: c}
	if d.Materials, err = s.Materials(ctx, c); err != nil {
		return Detail{}, err
	}
	if d.Forms, err = s.formsOf(ctx, c); err != nil {
		return Detail{}, err
	}
	if d.Signatures, err = s.signaturesOf(ctx, c); err != nil {
		return Detail{}, err
	}
	if d.Events, err = s.Events(ctx, c); err != nil {
		return Detail{}, err
	}
	if d.Helpers, err = s.Helpers(ctx, c); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// HandledBy reports whether id is the agent who handles the case.
func (c Case) HandledBy(id identity.Identity) bool {
	return id.Role == identity.RoleAgent && id.AccountID != "" && id.AccountID == c.AgentID
}

// OverseenBy reports whether id may act on the case: its agent, a
// supervisor or an admin.
func (c Case) OverseenBy(id identity.Identity) bool {
	return c.HandledBy(id) || id.Role == identity.RoleSupervisor || id.Role == identity.RoleAdmin
}

// mayView reports whether id may see the case: those who oversee it, and
// any agent who is or was in its call (the agent a transfer went to, the
// back office consulted).
func (s *Service) mayView(ctx context.Context, id identity.Identity, c Case) (bool, error) {
	if c.OverseenBy(id) {
		return true, nil
	}
	if id.Role != identity.RoleAgent || c.CallID == "" {
		return false, nil
	}
	return s.calls.Participated(ctx, c.CallID, id.AccountID)
}

// AtStation reports whether id is the station the case's call came from.
func (c Case) AtStation(id identity.Identity) bool {
	return id.Role == identity.RoleStation && id.AccountID != "" && id.AccountID == c.StationID
}
