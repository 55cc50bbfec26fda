// Package audit records who accessed what: every view or download of a
// recording or document, and every administrative change. The log is
// append-only; nothing in the product edits or deletes it.
package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// Entry is one audited action.
type Entry struct {
	ID         string        `json:"id"`
	At         time.Time     `json:"at"`
	ActorID    string        `json:"actor_id"`
	ActorName  string        `json:"actor_name"`
	ActorRole  identity.Role `json:"actor_role"`
	Action     string        `json:"action"` // e.g. "recording.view", "document.download"
	ObjectType string        `json:"object_type"`
	ObjectID   string        `json:"object_id"`
	RemoteAddr string        `json:"remote_addr"`
	Detail     string        `json:"detail,omitempty"`
}

// Log writes audit entries to the store.
type Log struct {
	db *store.DB
}

// New returns a Log on db.
func New(db *store.DB) *Log { return &Log{db: db} }

// Record appends an entry for actor. An access that cannot be audited must
// not happen, so callers refuse the request when Record fails.
func (l *Log) Record(ctx context.Context, actor identity.Identity, action, objectType, objectID, remoteAddr, detail string) error {
	_, err := l.db.Exec(ctx, `INSERT INTO audit_log (id, at, actor_id, actor_name, actor_role, action, object_type, object_id, remote_addr, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		uuid.NewString(), store.Millis(time.Now()), actor.AccountID, actor.Username, string(actor.Role),
		action, objectType, objectID, remoteAddr, detail)
	if err != nil {
		return fmt.Errorf("audit %s %s/%s: %w", action, objectType, objectID, err)
	}
	return nil
}

// Filter narrows List; zero fields match everything.
type Filter struct {
	ObjectType, ObjectID, ActorID string
	Since, Until                  time.Time
	Limit                         int // default 100, at most 1000
}

// List returns entries matching f, newest first.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	q := `SELECT id, at, actor_id, actor_name, actor_role, action, object_type, object_id, remote_addr, detail FROM audit_log WHERE 1=1`
	var args []any
	add := func(cond string, v any) { q += " AND " + cond; args = append(args, v) }
	if f.ObjectType != "" {
		add("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("object_id = ?", f.ObjectID)
	}
	if f.ActorID != "" {
		add("actor_id = ?", f.ActorID)
	}
	if !f.Since.IsZero() {
		add("at >= ?", store.Millis(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < ?", store.Millis(f.Until))
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	q += fmt.Sprintf(" ORDER BY at DESC, id LIMIT %d", f.Limit)
	rows, err := l.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var role string
		if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorName, &role, &e.Action, &e.ObjectType, &e.ObjectID, &e.RemoteAddr, &e.Detail); err != nil {
			return nil, fmt.Errorf("scan audit entry: %w", err)
		}
		e.At, e.ActorRole = store.Time(at), identity.Role(role)
		out = append(out, e)
	}
	return out, rows.Err()
}
