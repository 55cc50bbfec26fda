package cases

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// Bounds on what agents type.
const (
	maxNotesRunes    = 2000
	maxMissing       = 20
	maxMaterialRunes = 100
)

// WrapUp records the agent's outcome for the case of a call: "done",
// "forwarded" (the due date is the item's time limit in working days from
// today, at least one), "needs_materials" (missing lists what the resident
// must still bring) or "consultation". Repeating the same wrap-up returns
// the case unchanged, so a retried request is harmless.
func (s *Service) WrapUp(ctx context.Context, callID string, actor identity.Identity, outcome string, missing []string, notes string) (Case, error) {
	to, missing, err := checkWrapUp(outcome, missing, notes)
	if err != nil {
		return Case{}, fmt.Errorf("wrap up call %s: %w", callID, err)
	}
	c, err := s.ForCall(ctx, callID)
	if err != nil {
		return Case{}, err
	}
	// The agent who ends the call wraps it up: after a transfer or a
	// hand-over that is not the agent who took it first.
	if ok, err := s.mayView(ctx, actor, c); err != nil {
		return Case{}, fmt.Errorf("wrap up case %s: %w", c.Number, err)
	} else if !ok {
		return Case{}, fmt.Errorf("wrap up case %s: %s is not its agent: %w", c.Number, actor.Username, ErrForbidden)
	}
	if c.State == to && c.Notes == notes && slices.Equal(c.Missing, missing) {
		return c, nil
	}
	if c.State != StateOpen {
		return Case{}, fmt.Errorf("wrap up case %s: already %s: %w", c.Number, c.State, ErrConflict)
	}
	next := c
	next.State, next.Missing, next.Notes, next.UpdatedAt = to, missing, notes, s.now()
	detail := ""
	switch to {
	case StateForwarded:
		if next.DueDate, err = s.dueDate(ctx, c.ItemID, 1); err != nil {
			return Case{}, err
		}
		detail = "due " + next.DueDate
	case StateNeedsMaterials:
		detail = "missing: " + strings.Join(missing, ", ")
	default:
		next.ClosedAt = next.UpdatedAt
	}
	return s.transition(ctx, c, next, "wrapped_up", actor, detail)
}

// checkWrapUp validates a wrap-up and returns the target state and the
// cleaned list of missing materials.
func checkWrapUp(outcome string, missing []string, notes string) (State, []string, error) {
	to := State(outcome)
	switch to {
	case StateDone, StateForwarded, StateNeedsMaterials, StateConsultation:
	default:
		return "", nil, fmt.Errorf("outcome %q is not done, forwarded, needs_materials or consultation: %w", outcome, ErrInvalid)
	}
	if err := checkText("notes", notes, maxNotesRunes, true); err != nil {
		return "", nil, err
	}
	cleaned := []string{}
	for _, m := range missing {
		m = strings.TrimSpace(m)
		if m == "" || slices.Contains(cleaned, m) {
			continue
		}
		if err := checkText("missing material", m, maxMaterialRunes, false); err != nil {
			return "", nil, err
		}
		cleaned = append(cleaned, m)
	}
	switch {
	case to == StateNeedsMaterials && len(cleaned) == 0:
		return "", nil, fmt.Errorf("needs_materials must list the missing materials: %w", ErrInvalid)
	case to != StateNeedsMaterials && len(cleaned) > 0:
		return "", nil, fmt.Errorf("only needs_materials lists missing materials: %w", ErrInvalid)
	case len(cleaned) > maxMissing:
		return "", nil, fmt.Errorf("at most %d missing materials: %w", maxMissing, ErrInvalid)
	}
	return to, cleaned, nil
}

// Complete marks a forwarded case, or one waiting for materials, as done:
// the back office finished it. Supervisors, admins and the case's agent may.
func (s *Service) Complete(ctx context.Context, caseID string, actor identity.Identity, notes string) (Case, error) {
	if err := checkText("notes", notes, maxNotesRunes, true); err != nil {
		return Case{}, fmt.Errorf("complete case %s: %w", caseID, err)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Case{}, err
	}
	if !c.OverseenBy(actor) {
		return Case{}, fmt.Errorf("complete case %s: %w", c.Number, ErrForbidden)
	}
	if c.State != StateForwarded && c.State != StateNeedsMaterials {
		return Case{}, fmt.Errorf("complete case %s: it is %s: %w", c.Number, c.State, ErrConflict)
	}
	next := c
	next.State, next.UpdatedAt = StateDone, s.now()
	next.ClosedAt = next.UpdatedAt
	return s.transition(ctx, c, next, "completed", actor, notes)
}

// SetResident records what the resident stated (name, ID and phone
// numbers, address, request); only the case's agent, while it is not closed.
func (s *Service) SetResident(ctx context.Context, caseID string, actor identity.Identity, r Resident) (Case, error) {
	r, err := checkResident(r)
	if err != nil {
		return Case{}, fmt.Errorf("resident of case %s: %w", caseID, err)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Case{}, err
	}
	if !c.HandledBy(actor) {
		return Case{}, fmt.Errorf("resident of case %s: %w", c.Number, ErrForbidden)
	}
	if !c.ClosedAt.IsZero() {
		return Case{}, fmt.Errorf("resident of case %s: it is closed: %w", c.Number, ErrConflict)
	}
	next := c
	next.Resident, next.UpdatedAt = r, s.now()
	// The event says that the details changed, never what they are: the
	// timeline is copied to places where personal data must not go.
	return s.transition(ctx, c, next, "resident_updated", actor, "")
}

func checkResident(r Resident) (Resident, error) {
	r.Name = strings.TrimSpace(r.Name)
	r.IDNumber = strings.ToUpper(strings.TrimSpace(r.IDNumber))
	r.Phone = strings.TrimSpace(r.Phone)
	r.Address = strings.TrimSpace(r.Address)
	r.Request = strings.TrimSpace(r.Request)
	for _, f := range []struct {
		name, value string
		max         int
		multiline   bool
	}{{"name", r.Name, 50, false}, {"id_number", r.IDNumber, 20, false}, {"phone", r.Phone, 20, false},
		{"address", r.Address, 200, false}, {"request", r.Request, 1000, true}} {
		if err := checkText(f.name, f.value, f.max, f.multiline); err != nil {
			return Resident{}, err
		}
	}
	if strings.Trim(r.IDNumber, "0123456789X") != "" {
		return Resident{}, fmt.Errorf("id_number may hold digits and X only: %w", ErrInvalid)
	}
	if strings.Trim(r.Phone, "0123456789+- ") != "" {
		return Resident{}, fmt.Errorf("phone may hold digits, +, - and spaces only: %w", ErrInvalid)
	}
	return r, nil
}

// transition stores next (whose stored state must still be old's) and its
// event in one transaction, then tells the OnEvent hook.
func (s *Service) transition(ctx context.Context, old, next Case, typ string, actor identity.Identity, detail string) (Case, error) {
	ev := s.newEvent(old, typ, actor, next.State, detail)
	ev.At = next.UpdatedAt
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := updateCase(ctx, tx, next, old.State); err != nil {
			return err
		}
		return insertEvent(ctx, tx, ev)
	})
	if err != nil {
		return Case{}, err
	}
	s.emit(ev)
	return next, nil
}

// dueDate is the item's time limit in working days from today, or min
// working days when the item promises less.
func (s *Service) dueDate(ctx context.Context, itemID string, min int) (string, error) {
	it, err := s.cat.Item(ctx, itemID)
	if err != nil {
		return "", fmt.Errorf("time limit of item %s: %w", itemID, err)
	}
	return s.opts.Calendar.AddWorkingDays(s.today(), max(it.TimeLimitDays, min)).Format(DateLayout), nil
}

// checkText bounds a typed text and keeps control characters out (line
// breaks too, unless multiline).
func checkText(field, s string, maxRunes int, multiline bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s must be valid UTF-8: %w", field, ErrInvalid)
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return fmt.Errorf("%s must be at most %d characters (got %d): %w", field, maxRunes, n, ErrInvalid)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return fmt.Errorf("%s must not contain control characters: %w", field, ErrInvalid)
		}
	}
	return nil
}
