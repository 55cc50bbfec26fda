package stats

import "time"

// day is one day in the center's time zone, as Unix milliseconds.
type day struct {
	name       string // YYYY-MM-DD
	start, end int64
}

// within reports whether at falls on the day or within slack after it.
func (d *day) within(at int64, slack time.Duration) bool {
	return at >= d.start && at < d.end+slack.Milliseconds()
}

// around reports whether at falls on the day or within slack of it.
func (d *day) around(at int64, slack time.Duration) bool {
	return at >= d.start-slack.Milliseconds() && at < d.end+slack.Milliseconds()
}

// groups returns the day's groups in days, adding them if new.
func (d *day) groups(days map[string]*groups) *groups {
	g := days[d.name]
	if g == nil {
		g = newGroups(false)
		days[d.name] = g
	}
	return g
}

// dayCache finds the day of a time, remembering the last one: rows come
// mostly in time order, so most finds are one comparison.
type dayCache struct{ last *day }

func (c *dayCache) of(t time.Time, loc *time.Location) *day {
	ms := t.UnixMilli()
	if c.last != nil && ms >= c.last.start && ms < c.last.end {
		return c.last
	}
	start := midnight(t.In(loc))
	c.last = &day{name: start.Format(time.DateOnly), start: start.UnixMilli(), end: start.AddDate(0, 0, 1).UnixMilli()}
	return c.last
}

// daysBetween lists the days from the midnight from to the midnight to.
func daysBetween(from, to time.Time) []string {
	var out []string
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
