package signaling

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"cloudwindow/calls"
	"cloudwindow/identity"
)

// Rectifications follows up bad ratings (the rectify service): OpenFor is
// told of every rating, opens a follow-up for bad ones and logs its own
// failures, since the rating itself is already kept.
type Rectifications interface {
	OpenFor(ctx context.Context, r calls.Rating, actor identity.Identity)
}

type ratingData struct {
	CallID  string `json:"call_id"`
	Score   int    `json:"score"`
	Comment string `json:"comment"`
}

func (d *ratingData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if d.Score < 1 || d.Score > 5 {
		return protoErr(CodeBadMessage, "score must be 1 to 5")
	}
	if utf8.RuneCountInString(d.Comment) > 500 {
		return protoErr(CodeBadMessage, "comment is longer than 500 characters")
	}
	return checkLen("comment", d.Comment, 2000, false)
}

// handleRating keeps the resident's rating of the station's ended call.
func (s *Server) handleRating(ctx context.Context, sess *session, m Message) error {
	var d ratingData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	now := time.Now()
	rating, err := s.deps.Calls.Rate(ctx, sess.ident.AccountID, d.CallID, d.Score, d.Comment, now)
	switch {
	case errors.Is(err, calls.ErrNotFound), errors.Is(err, calls.ErrNotYours):
		return protoErr(CodeNotFound, "no call %s of this station", d.CallID)
	case errors.Is(err, calls.ErrNotEnded):
		return protoErr(CodeInvalidState, "the call has not ended yet")
	case errors.Is(err, calls.ErrAlreadyRated):
		return protoErr(CodeDuplicate, "this call is already rated")
	case err != nil:
		return fmt.Errorf("rate %s: %w", d.CallID, err)
	}
	if s.deps.Rectifications != nil {
		s.deps.Rectifications.OpenFor(ctx, rating, sess.ident)
	}
	s.events.add(d.CallID, calls.Event{At: now, Type: "rated", Actor: sess.ident.DisplayName, Detail: fmt.Sprintf("%d/5 %s", d.Score, d.Comment)})
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}
