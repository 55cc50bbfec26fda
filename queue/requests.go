package queue

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// waiting is a request in the queue.
type waiting struct {
	req        Request
	seq        uint64 // enqueue order
	group      *skillGroup
	offeredTo  string   // agent the request rings at, or ""
	rejectedBy []string // agents who declined it
	lastPos    Position // as last published
	answered   bool     // a ticket whose resident came to the kiosk
}

// serviceClass ranks requests; lower classes are served first.
type serviceClass int

const (
	classTransfer serviceClass = iota
	classGreen
	classDueAppointment
	classPlain
	classCount
)

func (w *waiting) class(now time.Time) serviceClass {
	switch {
	case w.req.Transfer:
		return classTransfer
	case w.req.Green:
		return classGreen
	case w.hasAppointment() && !w.req.AppointmentAt.After(now):
		return classDueAppointment
	default:
		return classPlain
	}
}

func (w *waiting) hasAppointment() bool { return !w.req.AppointmentAt.IsZero() }

// dueSince is when an appointment request joined the due-appointment class.
func (w *waiting) dueSince() time.Time {
	if w.req.AppointmentAt.After(w.req.EnqueuedAt) {
		return w.req.AppointmentAt
	}
	return w.req.EnqueuedAt
}

func (w *waiting) rejected(agentID string) bool { return slices.Contains(w.rejectedBy, agentID) }

// Enqueue adds a station's request; see Queue.
func (q *Local) Enqueue(ctx context.Context, r Request) (Position, error) {
	if err := ctx.Err(); err != nil {
		return Position{}, fmt.Errorf("queue: %w", err)
	}
	if err := validate(r); err != nil {
		return Position{}, err
	}
	var w *waiting
	q.mu.Lock()
	err := q.changeLocked(func(now time.Time) error {
		var err error
		w, err = q.add(r, now)
		return err
	})
	var pos Position
	if err == nil {
		pos = w.lastPos
	}
	q.mu.Unlock()
	q.deliver()
	return pos, err
}

func validate(r Request) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("enqueue: request id missing: %w", ErrInvalidRequest)
	case r.StationID == "":
		return fmt.Errorf("enqueue %s: station id missing: %w", r.ID, ErrInvalidRequest)
	case r.GreenReason != "" && !r.Green:
		return fmt.Errorf("enqueue %s: green reason without green channel: %w", r.ID, ErrInvalidRequest)
	case !r.RequeuedAt.IsZero() && r.Ticket == "":
		return fmt.Errorf("enqueue %s: requeued without a ticket: %w", r.ID, ErrInvalidRequest)
	}
	switch r.GreenReason {
	case "", GreenElderly, GreenDisabled, GreenPregnant:
		return nil
	}
	return fmt.Errorf("enqueue %s: unknown green reason %q: %w", r.ID, r.GreenReason, ErrInvalidRequest)
}

func (q *Local) add(r Request, now time.Time) (*waiting, error) {
	if q.stationWaits(r) {
		return nil, fmt.Errorf("enqueue %s: station %s already waits: %w", r.ID, r.StationID, ErrDuplicate)
	}
	if _, ok := q.byID[r.ID]; ok {
		return nil, fmt.Errorf("enqueue %s: request id in use: %w", r.ID, ErrDuplicate)
	}
	r.EnqueuedAt = now
	r.RequeuedAt = time.Time{}
	q.seq++
	w := &waiting{req: r, seq: q.seq, group: q.joinGroup(r.SkillGroup)}
	q.waiting = append(q.waiting, w)
	q.index(w)
	return w, nil
}

// Cancel removes a station's own waiting request; see Queue.
func (q *Local) Cancel(ctx context.Context, stationID, requestID string) error {
	return q.mutate(ctx, func(time.Time) error {
		w, ok := q.byID[requestID]
		// Another station's request is reported as not found: stations must not
		// learn about each other's requests.
		if !ok || w.req.StationID != stationID {
			return fmt.Errorf("cancel %s for station %s: %w", requestID, stationID, ErrNotFound)
		}
		if a := q.agents[w.offeredTo]; a != nil {
			q.withdraw(a, ReasonCancelled)
		}
		q.remove(w)
		return nil
	})
}

// remove takes a request out of the queue for good; its offer must already
// be settled.
func (q *Local) remove(w *waiting) {
	q.taken.add(w.req.ID)
	q.unindex(w)
	q.leaveGroup(w.group)
	q.cutOut(w)
}

// cutOut takes w out of the enqueue-ordered list.
func (q *Local) cutOut(w *waiting) {
	i, found := slices.BinarySearchFunc(q.waiting, w.seq, func(e *waiting, seq uint64) int {
		return cmp.Compare(e.seq, seq)
	})
	if found {
		q.waiting = slices.Delete(q.waiting, i, i+1)
	}
}
