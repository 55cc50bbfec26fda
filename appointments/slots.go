package appointments

import (
	"context"
	"fmt"
	"time"

	"cloudwindow/cases"
	"cloudwindow/store"
)

// Slot is one bookable time of a skill group.
type Slot struct {
	At       time.Time `json:"at"`
	Time     string    `json:"time"` // "09:30", local
	Capacity int       `json:"capacity"`
	Booked   int       `json:"booked"`
	Free     int       `json:"free"`
}

// Day is a date with its slots.
type Day struct {
	Date  string `json:"date"` // "2026-12-03"
	Slots []Slot `json:"slots"`
}

// scheduleOf returns the schedule blocks that apply on the date of day:
// none on a day off (weekends, holidays), the weekday's own on a working
// day. A weekend day worked instead (调休) with no blocks of its own
// follows Monday's.
func (s *Service) scheduleOf(ctx context.Context, day time.Time) ([]scheduleRow, error) {
	if !s.opts.Calendar.IsWorkingDay(day) {
		return nil, nil
	}
	wd := isoWeekday(day)
	rows, err := s.loadSchedules(ctx, wd)
	if err != nil || len(rows) > 0 || wd < 6 {
		return rows, err
	}
	return s.loadSchedules(ctx, 1)
}

func isoWeekday(t time.Time) int {
	if t.Weekday() == time.Sunday {
		return 7
	}
	return int(t.Weekday())
}

// midnight is the start of the local date of t.
func (s *Service) midnight(t time.Time) time.Time {
	t = t.In(s.opts.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.opts.Location)
}

// Slots returns the slots of a skill group on the date of day, with how
// many places each has left.
func (s *Service) Slots(ctx context.Context, group string, day time.Time) ([]Slot, error) {
	rows, err := s.scheduleOf(ctx, day)
	if err != nil {
		return nil, err
	}
	base := s.midnight(day)
	caps := map[int]int{} // minute of the day → capacity
	step := int(SlotLength.Minutes())
	for _, r := range rows {
		if r.group != group {
			continue
		}
		for m := r.start; m+step <= r.end; m += step {
			caps[m] += r.capacity
		}
	}
	if len(caps) == 0 {
		return []Slot{}, nil
	}
	booked, err := s.bookedCounts(ctx, group, base, base.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	out := []Slot{}
	for m := 0; m < 24*60; m += step {
		c, ok := caps[m]
		if !ok {
			continue
		}
		at := base.Add(time.Duration(m) * time.Minute)
		b := booked[store.Millis(at)]
		out = append(out, Slot{At: at, Time: hhmm(m), Capacity: c, Booked: b, Free: max(c-b, 0)})
	}
	return out, nil
}

func (s *Service) bookedCounts(ctx context.Context, group string, from, to time.Time) (map[int64]int, error) {
	rows, err := s.db.Query(ctx, `SELECT slot_at, booked FROM appointment_slots WHERE skill_group = ? AND slot_at >= ? AND slot_at < ?`,
		group, store.Millis(from), store.Millis(to))
	if err != nil {
		return nil, fmt.Errorf("read booked slots of %s: %w", group, err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var at int64
		var n int
		if err := rows.Scan(&at, &n); err != nil {
			return nil, fmt.Errorf("scan booked slot: %w", err)
		}
		out[at] = n
	}
	return out, rows.Err()
}

// Days lists the coming days that have slots of a group, with the slots
// still ahead of now, for BookAhead days from today.
func (s *Service) Days(ctx context.Context, group string) ([]Day, error) {
	now := s.now()
	out := []Day{}
	for i := 0; i < BookAhead; i++ {
		day := s.midnight(now).AddDate(0, 0, i)
		slots, err := s.Slots(ctx, group, day)
		if err != nil {
			return nil, err
		}
		var ahead []Slot
		for _, sl := range slots {
			if sl.At.After(now) {
				ahead = append(ahead, sl)
			}
		}
		if len(ahead) > 0 {
			out = append(out, Day{Date: day.Format(cases.DateLayout), Slots: ahead})
		}
	}
	return out, nil
}

// Open reports whether now falls in any schedule block: outside them the
// center is closed, and stations offer booking instead of the queue.
// inUse is false while there are no schedules at all: such a center does
// not take bookings, and is never closed for lack of them.
func (s *Service) Open(ctx context.Context) (open, inUse bool, err error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM appointment_schedules`).Scan(&n); err != nil {
		return false, false, fmt.Errorf("count schedules: %w", err)
	}
	if n == 0 {
		return true, false, nil
	}
	now := s.now()
	rows, err := s.scheduleOf(ctx, now)
	if err != nil {
		return false, true, err
	}
	m := now.Hour()*60 + now.Minute()
	for _, r := range rows {
		if r.start <= m && m < r.end {
			return true, true, nil
		}
	}
	return false, true, nil
}

// slotCapacity is the capacity of the slot of group starting at at; 0 if
// there is no such slot.
func (s *Service) slotCapacity(ctx context.Context, group string, at time.Time) (int, error) {
	slots, err := s.Slots(ctx, group, at)
	if err != nil {
		return 0, err
	}
	for _, sl := range slots {
		if sl.At.Equal(at) {
			return sl.Capacity, nil
		}
	}
	return 0, nil
}
