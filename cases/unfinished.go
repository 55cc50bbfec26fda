package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// maxUnfinished bounds the list of unfinished cases.
const maxUnfinished = 200

// Unfinished is a case still open although its call has ended: the agent
// never gave the outcome, because the node stopped mid-call (end reason
// "node_lost"), the console was closed during wrap-up, or the wrap-up time
// ran out. Such a case is wrapped up from the console (WrapUpUnfinished).
type Unfinished struct {
	Case
	CallEndedAt   time.Time `json:"call_ended_at"`
	CallEndReason string    `json:"call_end_reason"`
}

// Unfinished lists the unfinished cases viewer may wrap up, oldest first,
// with the residents' details masked: an agent's own, or everyone's for
// supervisors and admins.
func (s *Service) Unfinished(ctx context.Context, viewer identity.Identity) ([]Unfinished, error) {
	where := `cases.state = ? AND calls.ended_at <> 0`
	args := []any{string(StateOpen)}
	switch viewer.Role {
	case identity.RoleSupervisor, identity.RoleAdmin:
	case identity.RoleAgent:
		where += ` AND cases.agent_id = ?`
		args = append(args, viewer.AccountID)
	default:
		return nil, fmt.Errorf("unfinished cases for %s: %w", viewer.Role, ErrForbidden)
	}
	rows, err := s.db.Query(ctx, `SELECT `+qualified("cases", caseColumns)+`, calls.ended_at, calls.end_reason
		FROM cases JOIN calls ON calls.id = cases.call_id WHERE `+where+`
		ORDER BY cases.opened_at LIMIT `+fmt.Sprint(maxUnfinished), args...)
	if err != nil {
		return nil, fmt.Errorf("list unfinished cases: %w", err)
	}
	defer rows.Close()
	out := []Unfinished{}
	for rows.Next() {
		var u Unfinished
		var ended int64
		if u.Case, err = scanCase(withExtra{rows, []any{&ended, &u.CallEndReason}}); err != nil {
			return nil, fmt.Errorf("scan unfinished case: %w", err)
		}
		u.CallEndedAt = store.Time(ended)
		u.Resident = u.Resident.Masked()
		out = append(out, u)
	}
	return out, rows.Err()
}

// WrapUpUnfinished gives the outcome of a case whose call has ended
// without one, as the call's wrap-up would have: the case's agent, a
// supervisor or an admin may. The call's record gets the outcome too.
// While the call runs, its wrap-up belongs to the call (ErrConflict).
func (s *Service) WrapUpUnfinished(ctx context.Context, caseID string, actor identity.Identity, outcome string, missing []string, notes string) (Case, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Case{}, err
	}
	if !c.OverseenBy(actor) {
		return Case{}, fmt.Errorf("wrap up case %s: %s may not: %w", c.Number, actor.Username, ErrForbidden)
	}
	call, err := s.calls.Get(ctx, c.CallID)
	if errors.Is(err, calls.ErrNotFound) {
		return Case{}, fmt.Errorf("wrap up case %s: its call is not recorded: %w", c.Number, ErrConflict)
	} else if err != nil {
		return Case{}, fmt.Errorf("wrap up case %s: %w", c.Number, err)
	}
	if call.EndedAt.IsZero() {
		return Case{}, fmt.Errorf("wrap up case %s: its call is still running: %w", c.Number, ErrConflict)
	}
	done, err := s.WrapUp(ctx, c.CallID, actor, outcome, missing, notes)
	if err != nil || c.State != StateOpen {
		return done, err // an error, or a repeated request: the call's record has it already
	}
	if err := s.calls.WrapUp(ctx, call.ID, outcome, notes); err != nil {
		return Case{}, fmt.Errorf("wrap up case %s: %w", c.Number, err)
	}
	ev := calls.Event{At: done.UpdatedAt, Type: "wrapup", Actor: actorName(actor), Detail: outcome}
	if err := s.calls.AddEvent(ctx, call.ID, ev); err != nil {
		return Case{}, fmt.Errorf("wrap up case %s: %w", c.Number, err)
	}
	return done, nil
}

// qualified prefixes each of the comma-separated columns with table.
func qualified(table, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// withExtra scans a row's leading columns into the caller's destinations
// and its trailing ones into extra.
type withExtra struct {
	row   scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.row.Scan(append(dest, w.extra...)...) }
