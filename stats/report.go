package stats

import (
	"sort"
	"time"
)

// Breakdowns, in the order pages and exports show them.
const (
	ByStation  = "station"
	ByItem     = "item"
	ByCategory = "category"
	ByAgent    = "agent"
)

// Breakdowns lists the breakdown names.
var Breakdowns = []string{ByStation, ByItem, ByCategory, ByAgent}

// Report is the statistics of one period.
type Report struct {
	Period   PeriodInfo  `json:"period"`
	Total    Figures     `json:"total"`
	Station  []Figures   `json:"by_station"` // islands marked
	Item     []Figures   `json:"by_item"`
	Category []Figures   `json:"by_category"`
	Agent    []Figures   `json:"by_agent"` // answered calls only: abandoned requests had no agent
	Bookings BookingsSum `json:"bookings"` // see bookings.go
}

// PeriodInfo says which days a report covers.
type PeriodInfo struct {
	Kind     string `json:"kind"`
	From     string `json:"from"` // first day, YYYY-MM-DD
	To       string `json:"to"`   // last day, inclusive
	TimeZone string `json:"time_zone"`
}

// Rows returns the figures of one breakdown.
func (r Report) Rows(by string) []Figures {
	switch by {
	case ByStation:
		return r.Station
	case ByItem:
		return r.Item
	case ByCategory:
		return r.Category
	case ByAgent:
		return r.Agent
	}
	return nil
}

// groups gathers the accumulators of every breakdown.
type groups struct {
	total      acc
	byName     map[string]map[string]*acc
	categories func(id string) string
}

func newGroups(categories func(string) string) *groups {
	g := &groups{byName: map[string]map[string]*acc{}, categories: categories}
	for _, b := range Breakdowns {
		g.byName[b] = map[string]*acc{}
	}
	return g
}

func (g *groups) get(by, key, name string) *acc {
	m := g.byName[by]
	a := m[key]
	if a == nil {
		a = &acc{f: Figures{Key: key, Name: name}}
		m[key] = a
	}
	return a
}

// of returns the accumulators a request counts in. Abandoned requests have
// no agent, so they count in no agent's row.
func (g *groups) of(r *row) []*acc {
	st := g.get(ByStation, r.stationID, r.stationName)
	st.f.Island = st.f.Island || r.island
	out := []*acc{&g.total, st, g.get(ByItem, r.itemID, r.itemName), g.get(ByCategory, r.category, g.categories(r.category))}
	if r.agentID != "" {
		out = append(out, g.get(ByAgent, r.agentID, r.agentName))
	}
	return out
}

func (g *groups) report(p Period) Report {
	rep := Report{
		Period:   PeriodInfo{Kind: p.Kind, From: p.FirstDay(), To: p.LastDay(), TimeZone: p.From.Location().String()},
		Total:    g.total.figures(),
		Bookings: noBookings,
	}
	rep.Total.Key, rep.Total.Name = "total", "合计"
	rep.Station = sorted(g.byName[ByStation])
	rep.Item = sorted(g.byName[ByItem])
	rep.Category = sorted(g.byName[ByCategory])
	rep.Agent = sorted(g.byName[ByAgent])
	return rep
}

// sorted lists a breakdown's figures, busiest first.
func sorted(m map[string]*acc) []Figures {
	out := make([]Figures, 0, len(m))
	for _, a := range m {
		out = append(out, a.figures())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// row is one request as read from the store.
type row struct {
	id                     string
	stationID, stationName string
	island                 bool
	agentID, agentName     string
	itemID, itemName       string
	category               string
	requested, accepted    time.Time
	ended                  time.Time
	outcome                string
	score                  int
	rectStatus             string
	rectDue, fixedAt       time.Time
	dueDate                string // the case's, YYYY-MM-DD or empty
	closedDay              string // the day the case closed, YYYY-MM-DD in the center's zone, or empty
}

// overdue: the case's due date passed while it was open, whether it is
// still open (today is after it) or was closed later than it.
func (r *row) overdue(today string) bool {
	if r.dueDate == "" {
		return false
	}
	if r.closedDay == "" {
		return today > r.dueDate
	}
	return r.closedDay > r.dueDate
}
