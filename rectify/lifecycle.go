package rectify

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// ListLimit bounds List.
const ListLimit = 500

// canMove reports whether a rectification may go from one status to
// another: open → in_progress → fixed, or straight from open to fixed.
func canMove(from, to Status) bool {
	switch from {
	case StatusOpen:
		return to == StatusInProgress || to == StatusFixed
	case StatusInProgress:
		return to == StatusFixed
	}
	return false
}

// Open starts the rectification of a bad rating, on behalf of actor (the
// station that rated). Opening a call's rectification again returns the
// one already there unchanged.
func (s *Service) Open(ctx context.Context, r calls.Rating, actor identity.Identity) (Rectification, error) {
	if r.Score < 1 || r.Score > BadRatingMax {
		return Rectification{}, fmt.Errorf("%w: score %d of call %s is not a bad rating", ErrInvalid, r.Score, r.CallID)
	}
	now := s.now()
	rc := Rectification{
		CallID: r.CallID, StationID: r.StationID, AgentID: r.AgentID, Score: r.Score, Comment: r.Comment,
		Status: StatusOpen, OpenedAt: now, DueAt: now.Add(DueAfter), UpdatedAt: now,
	}
	var opened bool
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if opened, err = insert(ctx, tx, rc); err != nil || !opened {
			return err
		}
		return appendStep(ctx, tx, rc.CallID, Step{At: now, ActorID: actor.AccountID, ActorName: actor.DisplayName,
			Status: StatusOpen, Note: fmt.Sprintf("%d/5 %s", r.Score, r.Comment)})
	})
	if err != nil {
		return Rectification{}, fmt.Errorf("open rectification of call %s: %w", r.CallID, err)
	}
	if opened {
		if err := s.audit.Record(ctx, actor, "rectification.open", "call", rc.CallID, "", fmt.Sprintf("score %d", r.Score)); err != nil {
			return Rectification{}, err
		}
	}
	return s.Get(ctx, r.CallID)
}

// OpenFor opens the rectification of r when r is a bad rating and leaves
// other ratings alone. The rating is already kept when this runs, so a
// failure is logged rather than refusing the resident's rating.
func (s *Service) OpenFor(ctx context.Context, r calls.Rating, actor identity.Identity) {
	if r.Score > BadRatingMax {
		return
	}
	if _, err := s.Open(ctx, r, actor); err != nil {
		s.log.Error("open rectification of a bad rating", "call", r.CallID, "score", r.Score, "err", err)
	}
}

// Update moves the rectification of callID to status, by actor, with note;
// closing it (fixed) needs a note saying what was done. The first
// supervisor to move it becomes its owner.
func (s *Service) Update(ctx context.Context, callID string, status Status, note string, actor identity.Identity) (Rectification, error) {
	note = strings.TrimSpace(note)
	if err := checkNote(status, note); err != nil {
		return Rectification{}, err
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		rc, err := load(ctx, tx, callID)
		if err != nil {
			return err
		}
		if !canMove(rc.Status, status) {
			return fmt.Errorf("%w: call %s is %s and cannot become %s", ErrInvalid, callID, rc.Status, status)
		}
		from, now := rc.Status, s.now()
		rc.Status, rc.UpdatedAt = status, now
		if rc.OwnerID == "" {
			rc.OwnerID, rc.OwnerName = actor.AccountID, actor.DisplayName
		}
		if err := update(ctx, tx, rc, from); err != nil {
			return err
		}
		return appendStep(ctx, tx, callID, Step{At: now, ActorID: actor.AccountID, ActorName: actor.DisplayName, Status: status, Note: note})
	})
	if err != nil {
		return Rectification{}, fmt.Errorf("update rectification of call %s: %w", callID, err)
	}
	if err := s.audit.Record(ctx, actor, "rectification."+string(status), "call", callID, "", note); err != nil {
		return Rectification{}, err
	}
	return s.Get(ctx, callID)
}

func checkNote(status Status, note string) error {
	switch {
	case status != StatusInProgress && status != StatusFixed:
		return fmt.Errorf("%w: status must be %s or %s", ErrInvalid, StatusInProgress, StatusFixed)
	case status == StatusFixed && note == "":
		return fmt.Errorf("%w: say what was fixed before closing", ErrInvalid)
	case utf8.RuneCountInString(note) > MaxNoteRunes:
		return fmt.Errorf("%w: the note is longer than %d characters", ErrInvalid, MaxNoteRunes)
	}
	return nil
}

// Get returns the rectification of callID with its steps.
func (s *Service) Get(ctx context.Context, callID string) (Rectification, error) {
	rc, err := load(ctx, s.db, callID)
	if err != nil {
		return Rectification{}, err
	}
	if rc.Steps, err = loadSteps(ctx, s.db, callID); err != nil {
		return Rectification{}, err
	}
	rc.markOverdue(s.now())
	return rc, nil
}

// List returns the rectifications in one of statuses (all when none), open
// ones first, each marked when overdue; steps are left out.
func (s *Service) List(ctx context.Context, statuses ...Status) ([]Rectification, error) {
	// Each known status at most once: the filter stays three values however
	// long the query a client sends.
	seen := map[Status]bool{}
	for _, st := range statuses {
		if st != StatusOpen && st != StatusInProgress && st != StatusFixed {
			return nil, fmt.Errorf("%w: unknown status %.40q", ErrInvalid, st)
		}
		if seen[st] {
			return nil, fmt.Errorf("%w: status %s is given twice", ErrInvalid, st)
		}
		seen[st] = true
	}
	out, err := list(ctx, s.db, statuses, ListLimit)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range out {
		out[i].markOverdue(now)
	}
	return out, nil
}
