package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"cloudwindow/store"
)

const caseColumns = `id, number, call_id, station_id, station_name, agent_id, agent_name, item_id, item_name,
	state, missing, notes, resident, due_date, opened_at, updated_at, closed_at`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanCase(row scanner) (Case, error) {
	var c Case
	var state, missing, resident string
	var opened, updated, closed int64
	err := row.Scan(&c.ID, &c.Number, &c.CallID, &c.StationID, &c.StationName, &c.AgentID, &c.AgentName,
		&c.ItemID, &c.ItemName, &state, &missing, &c.Notes, &resident, &c.DueDate, &opened, &updated, &closed)
	if err != nil {
		return Case{}, err
	}
	c.State = State(state)
	if err := json.Unmarshal([]byte(missing), &c.Missing); err != nil {
		return Case{}, fmt.Errorf("case %s: decode missing materials: %w", c.ID, err)
	}
	if err := json.Unmarshal([]byte(resident), &c.Resident); err != nil {
		return Case{}, fmt.Errorf("case %s: decode resident: %w", c.ID, err)
	}
	c.OpenedAt, c.UpdatedAt, c.ClosedAt = store.Time(opened), store.Time(updated), store.Time(closed)
	return c, nil
}

// loadCase returns the case whose column (id, number or call_id) is value.
func loadCase(ctx context.Context, q store.Querier, column, value string) (Case, error) {
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+column+` = ?`, value))
	if errors.Is(err, sql.ErrNoRows) {
		return Case{}, fmt.Errorf("case with %s %s: %w", column, value, ErrNotFound)
	}
	if err != nil {
		return Case{}, fmt.Errorf("load case with %s %s: %w", column, value, err)
	}
	return c, nil
}

func insertCase(ctx context.Context, q store.Querier, c Case) error {
	missing, resident, err := encodeCaseJSON(c)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, `INSERT INTO cases (`+caseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Number, c.CallID, c.StationID, c.StationName, c.AgentID, c.AgentName, c.ItemID, c.ItemName,
		string(c.State), missing, c.Notes, resident, c.DueDate,
		store.Millis(c.OpenedAt), store.Millis(c.UpdatedAt), store.Millis(c.ClosedAt))
	if err != nil {
		return fmt.Errorf("insert case %s: %w", c.Number, err)
	}
	return nil
}

// updateCase writes c's mutable fields, but only if the stored state is
// still from: a concurrent change wins and this one reports ErrConflict.
func updateCase(ctx context.Context, q store.Querier, c Case, from State) error {
	missing, resident, err := encodeCaseJSON(c)
	if err != nil {
		return err
	}
	res, err := q.Exec(ctx, `UPDATE cases SET state = ?, missing = ?, notes = ?, resident = ?, due_date = ?,
		updated_at = ?, closed_at = ? WHERE id = ? AND state = ?`,
		string(c.State), missing, c.Notes, resident, c.DueDate, store.Millis(c.UpdatedAt), store.Millis(c.ClosedAt),
		c.ID, string(from))
	if err != nil {
		return fmt.Errorf("update case %s: %w", c.Number, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("update case %s: changed meanwhile: %w", c.Number, ErrConflict)
	}
	return nil
}

func encodeCaseJSON(c Case) (missing, resident string, err error) {
	if c.Missing == nil {
		c.Missing = []string{}
	}
	m, err := json.Marshal(c.Missing)
	if err != nil {
		return "", "", fmt.Errorf("encode missing materials: %w", err)
	}
	r, err := json.Marshal(c.Resident)
	if err != nil {
		return "", "", fmt.Errorf("encode resident: %w", err)
	}
	return string(m), string(r), nil
}

func listCases(ctx context.Context, q store.Querier, where string, args ...any) ([]Case, error) {
	rows, err := q.Query(ctx, `SELECT `+caseColumns+` FROM cases WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	defer rows.Close()
	out := []Case{}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, fmt.Errorf("scan case: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
