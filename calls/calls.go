// Package calls keeps the durable record of every call session: who talked
// to whom about which service item, when, how it ended, the agent's outcome,
// and the timeline of events that supervisors review.
package calls

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"cloudwindow/store"
)

// ErrNotFound means no call has that id.
var ErrNotFound = errors.New("call not found")

// Outcomes an agent may give at wrap-up.
var Outcomes = []string{"done", "forwarded", "needs_materials", "consultation"}

// ValidOutcome reports whether o is one of Outcomes.
func ValidOutcome(o string) bool {
	for _, v := range Outcomes {
		if v == o {
			return true
		}
	}
	return false
}

// Call is one call session.
type Call struct {
	ID          string    `json:"id"`
	StationID   string    `json:"station_id"`
	StationName string    `json:"station_name"`
	Island      bool      `json:"island"`
	AgentID     string    `json:"agent_id"`
	AgentName   string    `json:"agent_name"`
	ItemID      string    `json:"item_id"`
	ItemName    string    `json:"item_name"`
	Category    string    `json:"category"`
	Green       bool      `json:"green"`
	RequestedAt time.Time `json:"requested_at"`
	AcceptedAt  time.Time `json:"accepted_at"`
	EndedAt     time.Time `json:"ended_at"`
	EndReason   string    `json:"end_reason"`
	Outcome     string    `json:"outcome"`
	Notes       string    `json:"notes"`
	Node        string    `json:"node"`
}

// Event is one entry of a call's timeline.
type Event struct {
	At     time.Time `json:"at"`
	Type   string    `json:"type"` // queued, offered, accepted, chat, hangup, wrapup …
	Actor  string    `json:"actor"`
	Detail string    `json:"detail,omitempty"`
}

// Store reads and writes calls.
type Store struct{ db *store.DB }

// NewStore returns a Store on db.
func NewStore(db *store.DB) *Store { return &Store{db: db} }

// Create records a call when the agent accepts it.
func (s *Store) Create(ctx context.Context, c Call) error { return Insert(ctx, s.db, c) }

// Insert records a new call on q, which may be a transaction that records
// more with it (the case a call opens, see cases.Service.StartCall).
func Insert(ctx context.Context, q store.Querier, c Call) error {
	_, err := q.Exec(ctx, `INSERT INTO calls (id, station_id, station_name, island, agent_id, agent_name, item_id, item_name,
		category, green, requested_at, accepted_at, ended_at, end_reason, outcome, notes, node)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', '', ?)`,
		c.ID, c.StationID, c.StationName, c.Island, c.AgentID, c.AgentName, c.ItemID, c.ItemName,
		c.Category, c.Green, store.Millis(c.RequestedAt), store.Millis(c.AcceptedAt), c.Node)
	if err != nil {
		return fmt.Errorf("create call %s: %w", c.ID, err)
	}
	return nil
}

// End records when and why a call ended.
func (s *Store) End(ctx context.Context, id string, at time.Time, reason string) error {
	return s.update(ctx, id, `UPDATE calls SET ended_at = ?, end_reason = ? WHERE id = ?`, store.Millis(at), reason, id)
}

// EndReasonNodeLost ends the calls a node left open when it stopped
// without ending them (a crash, kill -9, power loss).
const EndReasonNodeLost = "node_lost"

// CloseLost ends every call node left open, as lost at at, and says so in
// each call's timeline. A node calls it as it starts, before it takes
// calls: any call of its name still open then was cut off by its last
// run. It returns the ids of the calls it closed.
func (s *Store) CloseLost(ctx context.Context, node string, at time.Time) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT id FROM calls WHERE ended_at = 0 AND node = ?`, node)
	if err != nil {
		return nil, fmt.Errorf("list open calls of node %s: %w", node, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan open call of node %s: %w", node, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list open calls of node %s: %w", node, err)
	}
	closed := ids[:0]
	for _, id := range ids {
		// Only while still open on node: a survivor may have moved it, or
		// another closed it, since the list was read.
		res, err := s.db.Exec(ctx, `UPDATE calls SET ended_at = ?, end_reason = ? WHERE id = ? AND node = ? AND ended_at = 0`,
			store.Millis(at), EndReasonNodeLost, id, node)
		if err != nil {
			return nil, fmt.Errorf("close lost call %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		ev := Event{At: at, Type: "hangup", Actor: node, Detail: EndReasonNodeLost}
		if err := s.AddEvent(ctx, id, ev); err != nil {
			return nil, err
		}
		closed = append(closed, id)
	}
	return closed, nil
}

// Move hands the open call id from node from to node to, as a survivor
// re-establishes it; false if it is no longer open on from (ended, or
// moved by another node first).
func (s *Store) Move(ctx context.Context, id, from, to string) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE calls SET node = ? WHERE id = ? AND node = ? AND ended_at = 0`, to, id, from)
	if err != nil {
		return false, fmt.Errorf("move call %s from %s to %s: %w", id, from, to, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("move call %s: %w", id, err)
	}
	return n == 1, nil
}

// OpenNodes lists the nodes that hold open calls.
func (s *Store) OpenNodes(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT node FROM calls WHERE ended_at = 0`)
	if err != nil {
		return nil, fmt.Errorf("list nodes with open calls: %w", err)
	}
	defer rows.Close()
	var nodes []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("scan node with open calls: %w", err)
		}
		nodes = append(nodes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list nodes with open calls: %w", err)
	}
	return nodes, nil
}

// WrapUp records the agent's outcome and notes.
func (s *Store) WrapUp(ctx context.Context, id, outcome, notes string) error {
	return s.update(ctx, id, `UPDATE calls SET outcome = ?, notes = ? WHERE id = ?`, outcome, notes, id)
}

func (s *Store) update(ctx context.Context, id, query string, args ...any) error {
	res, err := s.db.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update call %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update call %s: %w", id, ErrNotFound)
	}
	return nil
}

// AddEvent appends an event to a call's timeline.
func (s *Store) AddEvent(ctx context.Context, callID string, e Event) error {
	_, err := s.db.Exec(ctx, `INSERT INTO call_events (id, call_id, at, type, actor, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		uuid.NewString(), callID, store.Millis(e.At), e.Type, e.Actor, e.Detail)
	if err != nil {
		return fmt.Errorf("add %s event to call %s: %w", e.Type, callID, err)
	}
	return nil
}

const callColumns = `id, station_id, station_name, island, agent_id, agent_name, item_id, item_name, category,
	green, requested_at, accepted_at, ended_at, end_reason, outcome, notes, node`

func scanCall(row interface{ Scan(...any) error }) (Call, error) {
	var c Call
	var req, acc, end int64
	err := row.Scan(&c.ID, &c.StationID, &c.StationName, &c.Island, &c.AgentID, &c.AgentName, &c.ItemID, &c.ItemName,
		&c.Category, &c.Green, &req, &acc, &end, &c.EndReason, &c.Outcome, &c.Notes, &c.Node)
	c.RequestedAt, c.AcceptedAt, c.EndedAt = store.Time(req), store.Time(acc), store.Time(end)
	return c, err
}

// Get returns one call.
func (s *Store) Get(ctx context.Context, id string) (Call, error) {
	c, err := scanCall(s.db.QueryRow(ctx, `SELECT `+callColumns+` FROM calls WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Call{}, fmt.Errorf("get call %s: %w", id, ErrNotFound)
	} else if err != nil {
		return Call{}, fmt.Errorf("get call %s: %w", id, err)
	}
	return c, nil
}

// Events returns a call's timeline in order.
func (s *Store) Events(ctx context.Context, callID string) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT at, type, actor, detail FROM call_events WHERE call_id = ? ORDER BY at, id`, callID)
	if err != nil {
		return nil, fmt.Errorf("list events of call %s: %w", callID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at int64
		if err := rows.Scan(&at, &e.Type, &e.Actor, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan event of call %s: %w", callID, err)
		}
		e.At = store.Time(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Live returns the calls that have started and not ended, newest first.
// A call of a node that died stays "live" until its record is closed, so
// only calls accepted within maxAge count.
func (s *Store) Live(ctx context.Context, maxAge time.Duration) ([]Call, error) {
	rows, err := s.db.Query(ctx, `SELECT `+callColumns+` FROM calls WHERE ended_at = 0 AND accepted_at > ?
		ORDER BY accepted_at DESC LIMIT 500`, store.Millis(time.Now().Add(-maxAge)))
	if err != nil {
		return nil, fmt.Errorf("list live calls: %w", err)
	}
	defer rows.Close()
	out := []Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, fmt.Errorf("scan live call: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
