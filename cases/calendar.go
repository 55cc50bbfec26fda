package cases

import (
	"fmt"
	"time"
)

// DateLayout is how case dates are written: in the store, in JSON and in
// the holiday lists.
const DateLayout = "2006-01-02"

// Calendar says which dates are working days: Monday to Friday, less the
// public holidays, plus the weekend days declared working days (调休). The
// zero Calendar is plain Monday to Friday.
type Calendar struct {
	holidays map[string]bool
	workdays map[string]bool
}

// NewCalendar returns a Calendar from dates written "2006-01-02".
func NewCalendar(holidays, extraWorkdays []string) (Calendar, error) {
	c := Calendar{holidays: map[string]bool{}, workdays: map[string]bool{}}
	if err := addDates(c.holidays, holidays); err != nil {
		return Calendar{}, fmt.Errorf("holidays: %w", err)
	}
	if err := addDates(c.workdays, extraWorkdays); err != nil {
		return Calendar{}, fmt.Errorf("extra working days: %w", err)
	}
	return c, nil
}

func addDates(set map[string]bool, dates []string) error {
	for _, d := range dates {
		t, err := time.Parse(DateLayout, d)
		if err != nil {
			return fmt.Errorf("date %q is not YYYY-MM-DD", d)
		}
		set[t.Format(DateLayout)] = true
	}
	return nil
}

// IsWorkingDay reports whether the calendar date of t is a working day.
func (c Calendar) IsWorkingDay(t time.Time) bool {
	d := t.Format(DateLayout)
	if c.workdays[d] {
		return true
	}
	if c.holidays[d] {
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkingDays returns the date n working days after the calendar date of
// from: the day itself never counts, so Friday plus one is Monday. The
// result is midnight UTC of that date, for date arithmetic only.
func (c Calendar) AddWorkingDays(from time.Time, n int) time.Time {
	// Work on a UTC midnight so daylight-saving changes cannot skip a day.
	d := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}
