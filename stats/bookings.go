package stats

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"cloudwindow/store"
)

// BookingsSum counts the appointments (预约) whose slot falls in the period:
// how many were made (not cancelled), how many came, how many lapsed as
// no-shows, per station (islands marked).
type BookingsSum struct {
	Available bool           `json:"available"`
	Note      string         `json:"note"`
	Booked    int            `json:"booked"`
	Arrived   int            `json:"arrived"`
	NoShows   int            `json:"no_shows"`
	Cancelled int            `json:"cancelled"`
	NoShowPct float64        `json:"no_show_pct"` // of bookings whose slot has passed
	Station   []BookingCount `json:"by_station"`
}

// BookingCount is one station's bookings.
type BookingCount struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Island  bool   `json:"island"`
	Booked  int    `json:"booked"`
	Arrived int    `json:"arrived"`
	NoShows int    `json:"no_shows"`
}

// noBookings is a period with no bookings counted yet.
var noBookings = BookingsSum{Available: true, Note: "预约按预约时段计，爽约为过时 10 分钟未到 (bookings by slot time; a no-show is 10 minutes late)"}

// noShowAfter is when a booking nobody came for lapses (as appointments
// does it); a booking past it the sweep has not reached yet still counts.
const noShowAfter = 10 * time.Minute

// bookings counts the period's bookings from the appointments table.
func (s *Service) bookings(ctx context.Context, p Period) (BookingsSum, error) {
	b := noBookings
	lapse := store.Millis(s.now().Add(-noShowAfter))
	stations := map[string]*BookingCount{}
	err := s.scan(ctx, "bookings", `SELECT station_id, station_name, island, state, slot_at FROM appointments WHERE slot_at >= ? AND slot_at < ?`,
		func(rows *sql.Rows) error {
			var id, name, state string
			var island bool
			var at int64
			if err := rows.Scan(&id, &name, &island, &state, &at); err != nil {
				return err
			}
			if state == "cancelled" {
				b.Cancelled++
				return nil
			}
			c := stations[id]
			if c == nil {
				c = &BookingCount{Key: id, Name: name, Island: island}
				stations[id] = c
			}
			b.Booked++
			c.Booked++
			switch {
			case state == "arrived":
				b.Arrived++
				c.Arrived++
			case state == "no_show" || (state == "booked" && at <= lapse):
				b.NoShows++
				c.NoShows++
			}
			return nil
		}, store.Millis(p.From), store.Millis(p.To))
	if err != nil {
		return BookingsSum{}, err
	}
	b.NoShowPct = pct(b.NoShows, b.Arrived+b.NoShows)
	for _, c := range stations {
		b.Station = append(b.Station, *c)
	}
	sort.Slice(b.Station, func(i, j int) bool {
		return b.Station[i].Booked > b.Station[j].Booked || (b.Station[i].Booked == b.Station[j].Booked && b.Station[i].Name < b.Station[j].Name)
	})
	return b, nil
}

// bookingRows are the summary sheet's lines about bookings.
func bookingRows(lang string, b BookingsSum) [][]any {
	return [][]any{
		{pick(lang, "预约", "Bookings"), b.Booked, pick(lang, "到达", "Arrived"), b.Arrived,
			pick(lang, "爽约", "No-shows"), b.NoShows, pick(lang, "爽约率 %", "No-show %"), b.NoShowPct,
			pick(lang, "已取消", "Cancelled"), b.Cancelled},
	}
}
