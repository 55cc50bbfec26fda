package stats

import (
	"context"
	"testing"
	"time"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// knownCalls is the seeded month: seven answered calls in November 2026
// (the first half an hour after midnight, China time, which is still 31
// October in UTC), two outside it, and three requests nobody answered.
var knownCalls = []seedCall{
	{id: "c1", station: "s1", agent: "a1", item: "med1", requested: nov(1, 0, 30), waitS: 10, handleS: 300, outcome: "done", score: 5},
	{id: "c2", station: "s1", agent: "a1", item: "med1", requested: nov(3, 9, 0), waitS: 40, handleS: 200, outcome: "forwarded", score: 4, caseDue: "2026-11-10"},
	{id: "c3", station: "s2", agent: "a2", item: "soc1", requested: nov(4, 9, 0), waitS: 20, handleS: 100, outcome: "needs_materials", score: 1, fixedAfter: 24 * time.Hour},
	{id: "c4", station: "s2", agent: "a2", item: "med1", requested: nov(5, 9, 0), waitS: 100, handleS: 400, outcome: "consultation", score: 2, fixedAfter: 5 * 24 * time.Hour},
	{id: "c5", station: "s2", agent: "a1", item: "soc1", requested: nov(6, 9, 0), waitS: 5, handleS: 60, outcome: "forwarded", score: 3, caseDue: "2026-11-20", caseClosed: "2026-11-25"},
	{id: "c6", station: "s1", agent: "a2", item: "soc1", requested: nov(7, 9, 0), waitS: 30},
	{id: "c7", station: "s1", agent: "a1", item: "soc1", requested: nov(30, 23, 0), waitS: 50, handleS: 120, outcome: "done", score: 1},
	{id: "c8", station: "s1", agent: "a1", item: "med1", requested: nov(1, 0, 0).Add(-time.Minute), waitS: 10, handleS: 60, outcome: "done", score: 1},
	{id: "c9", station: "s2", agent: "a2", item: "soc1", requested: time.Date(2026, 12, 1, 0, 0, 0, 0, cst), waitS: 10, handleS: 60, outcome: "done", score: 5},
	{id: "c10", station: "s1", agent: "a1", item: "med1", requested: nov(12, 9, 0), waitS: 15, handleS: 90, outcome: "forwarded", caseDue: "2026-12-20"},
}

var knownAbandoned = []seedCall{
	{id: "r1", station: "s1", item: "med1", requested: nov(8, 10, 0)},
	{id: "r2", station: "s2", item: "soc1", requested: nov(9, 10, 0)},
	{id: "r3", station: "s2", item: "med1", requested: time.Date(2026, 10, 31, 12, 0, 0, 0, cst)},
}

// wantTotal is counted by hand from the lists above (c1–c7, c10, r1, r2).
var wantTotal = Figures{
	Key: "total", Name: "合计",
	Requests: 10, Answered: 8, Abandoned: 2,
	AnsweredIn30s: 5,                   // c1 10 s, c3 20 s, c5 5 s, c6 30 s, c10 15 s
	ServiceLevel:  50, AbandonRate: 20, // 5/10, 2/10
	AvgWaitS:   33.8,  // (10+40+20+100+5+30+50+15)/8 = 270/8
	P90WaitS:   100,   // 8 waits: the 8th smallest (ceil 7.2)
	AvgHandleS: 181.4, // (300+200+100+400+60+120+90)/7 = 1270/7
	Outcomes:   Outcomes{Done: 2, Forwarded: 3, NeedsMaterials: 1, Consultation: 1, None: 1},
	Ratings:    [5]int{2, 1, 1, 1, 1}, // c3 c7 | c4 | c5 | c2 | c1
	Rated:      6, Satisfaction: 33.3, // 2/6
	BadRatings: 3, BadFollowedUp: 2, BadFollowedUpOnTime: 1, // c3 on time, c4 late, c7 open
	OverdueCases: 2, // c2 still forwarded after 10 Nov, c5 closed 25 Nov after 20 Nov
}

func TestReportMatchesAHandCount(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		seed(t, db, knownCalls, knownAbandoned)
		s := newTestService(db)
		p, err := s.Period(Month, "2026-11-15", "", "")
		must(t, err)
		rep, err := s.Report(context.Background(), p)
		must(t, err)
		if rep.Period != (PeriodInfo{Kind: Month, From: "2026-11-01", To: "2026-11-30", TimeZone: "CST"}) {
			t.Errorf("period %+v", rep.Period)
		}
		if rep.Total != wantTotal {
			t.Errorf("total\n got %+v\nwant %+v", rep.Total, wantTotal)
		}
		checkBreakdowns(t, rep)
		if !rep.Bookings.Available || rep.Bookings.Booked != 0 {
			t.Errorf("bookings %+v, want none counted", rep.Bookings)
		}
	})
}

func checkBreakdowns(t *testing.T, rep Report) {
	t.Helper()
	type brief struct {
		Key                      string
		Island                   bool
		Requests, Answered, Aban int
		SL                       float64
		P90                      float64
		Bad, Overdue             int
	}
	short := func(list []Figures) []brief {
		var out []brief
		for _, f := range list {
			out = append(out, brief{f.Key, f.Island, f.Requests, f.Answered, f.Abandoned, f.ServiceLevel, f.P90WaitS, f.BadRatings, f.OverdueCases})
		}
		return out
	}
	want := map[string][]brief{
		// s1: c1 c2 c6 c7 c10 + r1; within 30 s: c1 c6 c10; waits 10 15 30 40 50 → p90 50
		// s2: c3 c4 c5 + r2; within 30 s: c3 c5; waits 5 20 100
		ByStation: {{"s1", false, 6, 5, 1, 50, 50, 1, 1}, {"s2", true, 4, 3, 1, 50, 100, 2, 1}},
		// a1: c1 c2 c5 c7 c10; a2: c3 c4 c6 (abandoned requests have no agent)
		ByAgent: {{"a1", false, 5, 5, 0, 60, 50, 1, 2}, {"a2", false, 3, 3, 0, 66.7, 100, 2, 0}},
		// med1: c1 c2 c4 c10 + r1; soc1: c3 c5 c6 c7 + r2
		// (equal requests: by name)
		ByItem:     {{"med1", false, 5, 4, 1, 40, 100, 1, 1}, {"soc1", false, 5, 4, 1, 60, 50, 2, 1}},
		ByCategory: {{"medical_insurance", false, 5, 4, 1, 40, 100, 1, 1}, {"social_security", false, 5, 4, 1, 60, 50, 2, 1}},
	}
	for by, w := range want {
		got := short(rep.Rows(by))
		if len(got) != len(w) {
			t.Errorf("%s: %+v, want %+v", by, got, w)
			continue
		}
		for i := range w {
			if got[i] != w[i] {
				t.Errorf("%s row %d: %+v, want %+v", by, i, got[i], w[i])
			}
		}
	}
	if rep.Category[0].Name != "医保" {
		t.Errorf("category name %q, want 医保", rep.Category[0].Name)
	}
}

func TestPeriods(t *testing.T) {
	cases := []struct {
		kind, date, from, to string
		wantFrom, wantTo     string
		bad                  bool
	}{
		{kind: "day", date: "2026-11-15", wantFrom: "2026-11-15", wantTo: "2026-11-15"},
		{kind: "week", date: "2026-11-15", wantFrom: "2026-11-09", wantTo: "2026-11-15"}, // a Sunday
		{kind: "week", date: "2026-11-16", wantFrom: "2026-11-16", wantTo: "2026-11-22"},
		{kind: "month", date: "2026-02-10", wantFrom: "2026-02-01", wantTo: "2026-02-28"},
		{kind: "", wantFrom: "2026-12-01", wantTo: "2026-12-31"},
		{kind: "day", wantFrom: "2026-12-02", wantTo: "2026-12-02"},
		{kind: "custom", from: "2026-10-20", to: "2026-11-05", wantFrom: "2026-10-20", wantTo: "2026-11-05"},
		{kind: "custom", from: "2026-11-05", to: "2026-10-20", bad: true},
		{kind: "custom", from: "2025-01-01", to: "2026-11-05", bad: true},
		{kind: "custom", from: "yesterday", to: "2026-11-05", bad: true},
		{kind: "year", bad: true},
		{kind: "day", date: "15/11/2026", bad: true},
	}
	for _, c := range cases {
		p, err := ParsePeriod(c.kind, c.date, c.from, c.to, today, cst)
		if c.bad {
			if err == nil {
				t.Errorf("%+v: accepted as %s..%s", c, p.FirstDay(), p.LastDay())
			}
			continue
		}
		if err != nil || p.FirstDay() != c.wantFrom || p.LastDay() != c.wantTo {
			t.Errorf("%+v: %s..%s, %v", c, p.FirstDay(), p.LastDay(), err)
		}
	}
}
