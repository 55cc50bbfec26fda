package rectify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"cloudwindow/store"
)

const columns = `call_id, station_id, agent_id, score, comment, status, owner_id, owner_name, opened_at, due_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scan(row scanner) (Rectification, error) {
	var r Rectification
	var status string
	var opened, due, updated int64
	err := row.Scan(&r.CallID, &r.StationID, &r.AgentID, &r.Score, &r.Comment, &status,
		&r.OwnerID, &r.OwnerName, &opened, &due, &updated)
	if err != nil {
		return Rectification{}, err
	}
	r.Status = Status(status)
	r.OpenedAt, r.DueAt, r.UpdatedAt = store.Time(opened), store.Time(due), store.Time(updated)
	return r, nil
}

func load(ctx context.Context, q store.Querier, callID string) (Rectification, error) {
	r, err := scan(q.QueryRow(ctx, `SELECT `+columns+` FROM rectifications WHERE call_id = ?`, callID))
	if errors.Is(err, sql.ErrNoRows) {
		return Rectification{}, fmt.Errorf("call %s: %w", callID, ErrNotFound)
	}
	if err != nil {
		return Rectification{}, fmt.Errorf("load rectification of call %s: %w", callID, err)
	}
	return r, nil
}

// insert adds r unless its call already has one; it reports whether it did.
func insert(ctx context.Context, q store.Querier, r Rectification) (bool, error) {
	res, err := q.Exec(ctx, `INSERT INTO rectifications (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id) DO NOTHING`,
		r.CallID, r.StationID, r.AgentID, r.Score, r.Comment, string(r.Status), r.OwnerID, r.OwnerName,
		store.Millis(r.OpenedAt), store.Millis(r.DueAt), store.Millis(r.UpdatedAt))
	if err != nil {
		return false, fmt.Errorf("insert rectification of call %s: %w", r.CallID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert rectification of call %s: %w", r.CallID, err)
	}
	return n == 1, nil
}

// update writes r's status and owner, but only if the stored status is
// still from: a concurrent change wins and this one reports ErrConflict.
func update(ctx context.Context, q store.Querier, r Rectification, from Status) error {
	res, err := q.Exec(ctx, `UPDATE rectifications SET status = ?, owner_id = ?, owner_name = ?, updated_at = ?
		WHERE call_id = ? AND status = ?`,
		string(r.Status), r.OwnerID, r.OwnerName, store.Millis(r.UpdatedAt), r.CallID, string(from))
	if err != nil {
		return fmt.Errorf("update rectification of call %s: %w", r.CallID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("update rectification of call %s: %w", r.CallID, ErrConflict)
	}
	return nil
}

// appendStep adds s as the next step of callID.
func appendStep(ctx context.Context, q store.Querier, callID string, s Step) error {
	_, err := q.Exec(ctx, `INSERT INTO rectification_steps (call_id, seq, at, actor_id, actor_name, status, note)
		SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM rectification_steps WHERE call_id = ?`,
		callID, store.Millis(s.At), s.ActorID, s.ActorName, string(s.Status), s.Note, callID)
	if err != nil {
		return fmt.Errorf("add step to rectification of call %s: %w", callID, err)
	}
	return nil
}

func loadSteps(ctx context.Context, q store.Querier, callID string) ([]Step, error) {
	rows, err := q.Query(ctx, `SELECT at, actor_id, actor_name, status, note FROM rectification_steps
		WHERE call_id = ? ORDER BY seq`, callID)
	if err != nil {
		return nil, fmt.Errorf("steps of rectification of call %s: %w", callID, err)
	}
	defer rows.Close()
	steps := []Step{}
	for rows.Next() {
		var s Step
		var at int64
		var status string
		if err := rows.Scan(&at, &s.ActorID, &s.ActorName, &status, &s.Note); err != nil {
			return nil, fmt.Errorf("scan step of call %s: %w", callID, err)
		}
		s.At, s.Status = store.Time(at), Status(status)
		steps = append(steps, s)
	}
	return steps, rows.Err()
}

// list returns the rectifications in one of statuses (all when none):
// open ones first, then those in progress, then fixed ones; within each,
// the earliest due first.
func list(ctx context.Context, q store.Querier, statuses []Status, limit int) ([]Rectification, error) {
	where, args := "", []any{}
	if len(statuses) > 0 {
		where = "WHERE status IN (?" + strings.Repeat(", ?", len(statuses)-1) + ")"
		for _, st := range statuses {
			args = append(args, string(st))
		}
	}
	rows, err := q.Query(ctx, `SELECT `+columns+` FROM rectifications `+where+`
		ORDER BY CASE status WHEN 'open' THEN 0 WHEN 'in_progress' THEN 1 ELSE 2 END, due_at, call_id
		LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("list rectifications: %w", err)
	}
	defer rows.Close()
	out := []Rectification{}
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("scan rectification: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
