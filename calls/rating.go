package calls

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloudwindow/store"
)

// Rating is the resident's judgement of a call, 1 (very unsatisfied) to 5.
type Rating struct {
	CallID    string    `json:"call_id"`
	StationID string    `json:"station_id"`
	AgentID   string    `json:"agent_id"`
	Score     int       `json:"score"`
	Comment   string    `json:"comment"`
	At        time.Time `json:"at"`
}

// Errors of Rate.
var (
	ErrNotYours     = errors.New("the call is not this station's")
	ErrAlreadyRated = errors.New("the call is already rated")
	ErrNotEnded     = errors.New("the call has not ended")
)

// Rate stores the station's rating of one of its ended calls, once.
func (s *Store) Rate(ctx context.Context, stationID, callID string, score int, comment string, at time.Time) (Rating, error) {
	c, err := s.Get(ctx, callID)
	if err != nil {
		return Rating{}, err
	}
	switch {
	case c.StationID != stationID:
		return Rating{}, fmt.Errorf("rate call %s: %w", callID, ErrNotYours)
	case c.EndedAt.IsZero():
		return Rating{}, fmt.Errorf("rate call %s: %w", callID, ErrNotEnded)
	}
	r := Rating{CallID: callID, StationID: stationID, AgentID: c.AgentID, Score: score, Comment: comment, At: at}
	res, err := s.db.Exec(ctx, `INSERT INTO ratings (call_id, station_id, agent_id, score, comment, at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (call_id) DO NOTHING`, r.CallID, r.StationID, r.AgentID, r.Score, r.Comment, store.Millis(at))
	if err != nil {
		return Rating{}, fmt.Errorf("rate call %s: %w", callID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Rating{}, fmt.Errorf("rate call %s: %w", callID, ErrAlreadyRated)
	}
	return r, nil
}
