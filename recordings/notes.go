package recordings

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// maxNoteRunes bounds a supervisor note.
const maxNoteRunes = 2000

// AddNote pins a supervisor's note at atMs into the recording.
func (rec *Recorder) AddNote(ctx context.Context, callID string, atMs int64, text string, author identity.Identity) (Note, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > maxNoteRunes {
		return Note{}, fmt.Errorf("%w: note text must have 1 to %d characters", ErrInvalid, maxNoteRunes)
	}
	s, err := rec.sessionRow(ctx, callID)
	if err != nil {
		return Note{}, err
	}
	if atMs < 0 || (s.DurationMs > 0 && atMs > s.DurationMs) {
		return Note{}, fmt.Errorf("%w: at_ms must be within the recording (0 to %d)", ErrInvalid, s.DurationMs)
	}
	n := Note{ID: uuid.NewString(), CallID: callID, AtMs: atMs, Text: text,
		AuthorID: author.AccountID, AuthorName: author.DisplayName, CreatedAt: rec.now()}
	if n.AuthorName == "" {
		n.AuthorName = author.Username
	}
	_, err = rec.db.Exec(ctx, `INSERT INTO recording_notes (id, call_id, at_ms, text, author_id, author_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.ID, n.CallID, n.AtMs, n.Text, n.AuthorID, n.AuthorName, store.Millis(n.CreatedAt))
	if err != nil {
		return Note{}, fmt.Errorf("add note to call %s: %w", callID, err)
	}
	return n, nil
}

func (rec *Recorder) notes(ctx context.Context, callID string) ([]Note, error) {
	rows, err := rec.db.Query(ctx, `SELECT id, call_id, at_ms, text, author_id, author_name, created_at
		FROM recording_notes WHERE call_id = ? ORDER BY at_ms, created_at`, callID)
	if err != nil {
		return nil, fmt.Errorf("list notes of call %s: %w", callID, err)
	}
	defer rows.Close()
	out := []Note{}
	for rows.Next() {
		var n Note
		var created int64
		if err := rows.Scan(&n.ID, &n.CallID, &n.AtMs, &n.Text, &n.AuthorID, &n.AuthorName, &created); err != nil {
			return nil, fmt.Errorf("scan note of call %s: %w", callID, err)
		}
		n.CreatedAt = store.Time(created)
		out = append(out, n)
	}
	return out, rows.Err()
}

// SetHold puts a legal hold on a session, which stops retention from
// deleting it, or lifts it. A deleted session can't be held.
func (rec *Recorder) SetHold(ctx context.Context, callID string, hold bool, by identity.Identity) (Session, error) {
	holdBy, holdAt := "", int64(0)
	if hold {
		holdBy, holdAt = by.Username, store.Millis(rec.now())
	}
	res, err := rec.db.Exec(ctx, `UPDATE recordings SET legal_hold = ?, hold_by = ?, hold_at = ? WHERE call_id = ? AND status <> ?`,
		hold, holdBy, holdAt, callID, string(StatusDeleted))
	if err != nil {
		return Session{}, fmt.Errorf("set hold on call %s: %w", callID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		s, err := rec.sessionRow(ctx, callID)
		if err != nil {
			return Session{}, err
		}
		if s.Status == StatusDeleted {
			return Session{}, fmt.Errorf("hold on call %s: %w", callID, ErrDeleted)
		}
	}
	return rec.sessionRow(ctx, callID)
}
