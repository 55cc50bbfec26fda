package calls

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"cloudwindow/store"
)

// AddParticipant records that accountID took part in call callID in role
// (agent, consulted, supervisor …). Joining again in the same role keeps
// the first time.
func (s *Store) AddParticipant(ctx context.Context, callID, accountID, role string, at time.Time) error {
	_, err := s.db.Exec(ctx, `INSERT INTO call_participants (call_id, account_id, role, joined_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (call_id, account_id, role) DO NOTHING`, callID, accountID, role, store.Millis(at))
	if err != nil {
		return fmt.Errorf("add %s as %s of call %s: %w", accountID, role, callID, err)
	}
	return nil
}

// Participated reports whether accountID is or was a participant of call
// callID: its first agent, or anyone recorded by AddParticipant.
func (s *Store) Participated(ctx context.Context, callID, accountID string) (bool, error) {
	if accountID == "" {
		return false, nil
	}
	var one int
	err := s.db.QueryRow(ctx, `SELECT 1 FROM calls WHERE id = ? AND agent_id = ?
		UNION ALL SELECT 1 FROM call_participants WHERE call_id = ? AND account_id = ? LIMIT 1`,
		callID, accountID, callID, accountID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("participants of call %s: %w", callID, err)
	}
	return true, nil
}
