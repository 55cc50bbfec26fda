package cases

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// CallEvent is e as an entry of the call's timeline, typed "case.<type>",
// so the call page shows the case's progress beside the call's own events.
func (e Event) CallEvent() calls.Event {
	detail := e.Detail
	if e.FromState != e.ToState {
		detail = string(e.FromState) + " → " + string(e.ToState)
		if e.Detail != "" {
			detail += ": " + e.Detail
		}
	}
	return calls.Event{At: e.At, Type: "case." + e.Type, Actor: e.ActorName, Detail: detail}
}

// newEvent describes something actor did to c that left it in state to.
func (s *Service) newEvent(c Case, typ string, actor identity.Identity, to State, detail string) Event {
	return Event{
		ID: eventID(), CaseID: c.ID, CallID: c.CallID, At: s.now(), Type: typ,
		ActorID: actor.AccountID, ActorName: actorName(actor), FromState: c.State, ToState: to, Detail: detail,
	}
}

// eventID returns a time-ordered id, so events of the same millisecond
// still list in the order they happened.
func eventID() string {
	if id, err := uuid.NewV7(); err == nil {
		return id.String()
	}
	return uuid.NewString()
}

func actorName(id identity.Identity) string {
	if id.DisplayName != "" {
		return id.DisplayName
	}
	return id.Username
}

func insertEvent(ctx context.Context, q store.Querier, e Event) error {
	_, err := q.Exec(ctx, `INSERT INTO case_events (id, case_id, at, type, actor_id, actor_name, from_state, to_state, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.CaseID, store.Millis(e.At), e.Type, e.ActorID, e.ActorName, string(e.FromState), string(e.ToState), e.Detail)
	if err != nil {
		return fmt.Errorf("record %s event of case %s: %w", e.Type, e.CaseID, err)
	}
	return nil
}

// Events returns a case's timeline, oldest first.
func (s *Service) Events(ctx context.Context, c Case) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT id, at, type, actor_id, actor_name, from_state, to_state, detail
		FROM case_events WHERE case_id = ? ORDER BY at, id`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list events of case %s: %w", c.Number, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		e := Event{CaseID: c.ID, CallID: c.CallID}
		var at int64
		var from, to string
		if err := rows.Scan(&e.ID, &at, &e.Type, &e.ActorID, &e.ActorName, &from, &to, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan event of case %s: %w", c.Number, err)
		}
		e.At, e.FromState, e.ToState = store.Time(at), State(from), State(to)
		out = append(out, e)
	}
	return out, rows.Err()
}

// emit hands committed events to the OnEvent hook.
func (s *Service) emit(events ...Event) {
	if s.opts.OnEvent == nil {
		return
	}
	for _, e := range events {
		s.opts.OnEvent(e)
	}
}
