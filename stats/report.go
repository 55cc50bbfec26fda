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

// groups gathers the parts of every breakdown, for one day or more.
type groups struct {
	total  *part
	by     map[string]map[string]*part // breakdown → group key → part
	merged bool                        // parts merge many: see newMergedPart
}

// newGroups returns empty groups: for one day's calls, or (merged) to
// merge days into.
func newGroups(merged bool) *groups {
	g := &groups{total: newPart(), by: map[string]map[string]*part{}, merged: merged}
	if merged {
		g.total = newMergedPart()
	}
	for _, b := range Breakdowns {
		g.by[b] = map[string]*part{}
	}
	return g
}

func (g *groups) get(by, key string) *part {
	if by == "total" {
		return g.total
	}
	m := g.by[by]
	p := m[key]
	if p == nil {
		p = newPart()
		if g.merged {
			p = newMergedPart()
		}
		m[key] = p
	}
	return p
}

// of returns the parts a request counts in. Abandoned requests have no
// agent, so they count in no agent's row.
func (g *groups) of(r *row) []*part {
	at := r.requested.UnixMilli()
	st := g.get(ByStation, r.stationID)
	st.setName(r.stationName, at)
	st.island = st.island || r.island
	item := g.get(ByItem, r.itemID)
	item.setName(r.itemName, at)
	out := []*part{g.total, st, item, g.get(ByCategory, r.category)}
	if r.agentID != "" {
		ag := g.get(ByAgent, r.agentID)
		ag.setName(r.agentName, at)
		out = append(out, ag)
	}
	return out
}

func (g *groups) merge(o *groups) {
	g.total.merge(o.total)
	for by, m := range o.by {
		for key, p := range m {
			g.get(by, key).merge(p)
		}
	}
}

// report finalises the figures as read on today ("YYYY-MM-DD").
func (g *groups) report(p Period, today string, categories func(string) string) Report {
	rep := Report{
		Period:   PeriodInfo{Kind: p.Kind, From: p.FirstDay(), To: p.LastDay(), TimeZone: p.From.Location().String()},
		Total:    g.total.figures(today),
		Bookings: noBookings,
	}
	rep.Total.Key, rep.Total.Name = "total", "合计"
	rep.Station = sorted(g.by[ByStation], today, nil)
	rep.Item = sorted(g.by[ByItem], today, nil)
	rep.Category = sorted(g.by[ByCategory], today, categories)
	rep.Agent = sorted(g.by[ByAgent], today, nil)
	return rep
}

// sorted lists a breakdown's figures, busiest first; names, when given,
// names the groups by their keys.
func sorted(m map[string]*part, today string, names func(string) string) []Figures {
	out := make([]Figures, 0, len(m))
	for key, p := range m {
		f := p.figures(today)
		f.Key = key
		if names != nil {
			f.Name = names(key)
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Key < out[j].Key
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
