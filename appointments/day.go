package appointments

import (
	"context"
	"fmt"
	"sort"
	"time"

	"cloudwindow/store"
)

// Count is how a day's bookings of one group or station stand.
type Count struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	Island    bool   `json:"island,omitempty"`
	Booked    int    `json:"booked"` // every booking not cancelled
	Arrived   int    `json:"arrived"`
	NoShows   int    `json:"no_shows"`
	Cancelled int    `json:"cancelled"`
}

// DayView is a day's bookings as supervisors see them.
type DayView struct {
	Date      string    `json:"date"`
	Bookings  []Booking `json:"bookings"`
	ByGroup   []Count   `json:"by_group"`
	ByStation []Count   `json:"by_station"`
}

// Day returns the bookings of the local date of day, by time, with counts
// per skill group and per station.
func (s *Service) Day(ctx context.Context, day time.Time) (DayView, error) {
	from := s.midnight(day)
	rows, err := s.db.Query(ctx, `SELECT `+bookingColumns+` FROM appointments WHERE slot_at >= ? AND slot_at < ? ORDER BY slot_at, station_name, code`,
		store.Millis(from), store.Millis(from.AddDate(0, 0, 1)))
	if err != nil {
		return DayView{}, fmt.Errorf("bookings of %s: %w", from.Format("2006-01-02"), err)
	}
	defer rows.Close()
	v := DayView{Date: from.Format("2006-01-02"), Bookings: []Booking{}}
	groups, stations := map[string]*Count{}, map[string]*Count{}
	for rows.Next() {
		b, _, err := s.scanBooking(rows)
		if err != nil {
			return DayView{}, fmt.Errorf("scan booking: %w", err)
		}
		v.Bookings = append(v.Bookings, b)
		countIn(groups, b.SkillGroup, s.opts.GroupName(b.SkillGroup), false, b.State)
		countIn(stations, b.StationID, b.StationName, b.Island, b.State)
	}
	if err := rows.Err(); err != nil {
		return DayView{}, fmt.Errorf("read bookings: %w", err)
	}
	v.ByGroup, v.ByStation = sortedCounts(groups), sortedCounts(stations)
	return v, nil
}

func countIn(m map[string]*Count, key, name string, island bool, state string) {
	c := m[key]
	if c == nil {
		c = &Count{Key: key, Name: name, Island: island}
		m[key] = c
	}
	switch state {
	case StateCancelled:
		c.Cancelled++
		return
	case StateArrived:
		c.Arrived++
	case StateNoShow:
		c.NoShows++
	}
	c.Booked++
}

func sortedCounts(m map[string]*Count) []Count {
	out := make([]Count, 0, len(m))
	for _, c := range m {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Booked != out[j].Booked {
			return out[i].Booked > out[j].Booked
		}
		return out[i].Name < out[j].Name
	})
	return out
}
