package stats

import (
	"errors"
	"fmt"
	"time"
)

// ErrBadPeriod means the period asked for is not understood.
var ErrBadPeriod = errors.New("bad period")

// Period kinds.
const (
	Day    = "day"
	Week   = "week"
	Month  = "month"
	Custom = "custom"
)

// MaxCustomDays bounds a custom period, so that one request cannot ask for
// every call ever made.
const MaxCustomDays = 366

// Period is a span of whole days in the center's time zone: From is the
// first midnight, To the midnight after the last day.
type Period struct {
	Kind string
	From time.Time
	To   time.Time
}

// FirstDay and LastDay are the period's days as "YYYY-MM-DD".
func (p Period) FirstDay() string { return p.From.Format(time.DateOnly) }

// LastDay is the last day in the period.
func (p Period) LastDay() string { return p.To.AddDate(0, 0, -1).Format(time.DateOnly) }

// ParsePeriod reads a period: kind day, week (Monday to Sunday) or month
// around the date anchor (default today), or custom from..to (inclusive
// dates). Dates are "YYYY-MM-DD" in loc.
func ParsePeriod(kind, anchor, from, to string, today time.Time, loc *time.Location) (Period, error) {
	if kind == "" {
		kind = Month
	}
	if kind == Custom {
		return customPeriod(from, to, loc)
	}
	day := midnight(today.In(loc))
	if anchor != "" {
		d, err := time.ParseInLocation(time.DateOnly, anchor, loc)
		if err != nil {
			return Period{}, fmt.Errorf("%w: date %q is not YYYY-MM-DD", ErrBadPeriod, anchor)
		}
		day = d
	}
	switch kind {
	case Day:
		return Period{Kind: kind, From: day, To: day.AddDate(0, 0, 1)}, nil
	case Week:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		start := day.AddDate(0, 0, -back)
		return Period{Kind: kind, From: start, To: start.AddDate(0, 0, 7)}, nil
	case Month:
		start := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, loc)
		return Period{Kind: kind, From: start, To: start.AddDate(0, 1, 0)}, nil
	}
	return Period{}, fmt.Errorf("%w: period must be day, week, month or custom, not %q", ErrBadPeriod, kind)
}

func customPeriod(from, to string, loc *time.Location) (Period, error) {
	f, err := time.ParseInLocation(time.DateOnly, from, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: from %q is not YYYY-MM-DD", ErrBadPeriod, from)
	}
	t, err := time.ParseInLocation(time.DateOnly, to, loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: to %q is not YYYY-MM-DD", ErrBadPeriod, to)
	}
	end := t.AddDate(0, 0, 1)
	switch {
	case t.Before(f):
		return Period{}, fmt.Errorf("%w: to %s is before from %s", ErrBadPeriod, to, from)
	case end.After(f.AddDate(0, 0, MaxCustomDays)):
		return Period{}, fmt.Errorf("%w: a custom period may span at most %d days", ErrBadPeriod, MaxCustomDays)
	}
	return Period{Kind: Custom, From: f, To: end}, nil
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}
