package cases

import (
	"testing"
	"time"
)

func TestAddWorkingDays(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(DateLayout, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	national, err := NewCalendar(
		[]string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"},
		[]string{"2026-10-10"}, // a Saturday worked in exchange (调休)
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cal  Calendar
		from string
		n    int
		want string
	}{
		{"monday plus one is tuesday", Calendar{}, "2026-11-16", 1, "2026-11-17"},
		{"friday plus one skips the weekend", Calendar{}, "2026-11-20", 1, "2026-11-23"},
		{"friday plus five is next friday", Calendar{}, "2026-11-20", 5, "2026-11-27"},
		{"saturday plus one is monday", Calendar{}, "2026-11-21", 1, "2026-11-23"},
		{"sunday plus zero is sunday", Calendar{}, "2026-11-22", 0, "2026-11-22"},
		{"twenty days span four weekends", Calendar{}, "2026-11-02", 20, "2026-11-30"},
		{"across the year end", Calendar{}, "2026-12-31", 2, "2027-01-04"},
		{"holidays are skipped", national, "2026-09-30", 1, "2026-10-08"},
		{"a worked saturday counts", national, "2026-10-09", 1, "2026-10-10"},
		{"without the holidays the same span is short", Calendar{}, "2026-09-30", 1, "2026-10-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.cal.AddWorkingDays(day(tc.from), tc.n).Format(DateLayout)
			if got != tc.want {
				t.Fatalf("%s + %d working days = %s, want %s", tc.from, tc.n, got, tc.want)
			}
		})
	}
}

func TestAddWorkingDaysUsesTheLocalDate(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	// 20:00 UTC on Friday is already Saturday morning in Shanghai.
	from := time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC).In(shanghai)
	if got := (Calendar{}).AddWorkingDays(from, 1).Format(DateLayout); got != "2026-11-23" {
		t.Fatalf("Saturday morning + 1 working day = %s, want Monday 2026-11-23", got)
	}
}

func TestNewCalendarRefusesBadDates(t *testing.T) {
	for _, bad := range [][]string{{"2026-13-01"}, {"1/10/2026"}, {""}} {
		if _, err := NewCalendar(bad, nil); err == nil {
			t.Errorf("holidays %q accepted", bad)
		}
		if _, err := NewCalendar(nil, bad); err == nil {
			t.Errorf("working days %q accepted", bad)
		}
	}
}
