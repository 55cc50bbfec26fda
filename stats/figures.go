package stats

import (
	"math"
	"sort"
	"time"
)

// ServiceLevelWait is the wait within which an answered call counts
// towards the service level.
const ServiceLevelWait = 30 * time.Second

// Outcomes counts wrap-up outcomes; None is calls without one yet.
type Outcomes struct {
	Done           int `json:"done"`            // 当场办结
	Forwarded      int `json:"forwarded"`       // 受理转后台
	NeedsMaterials int `json:"needs_materials"` // 需补正
	Consultation   int `json:"consultation"`    // 仅咨询
	None           int `json:"none"`            // not wrapped up
}

// Figures are the statistics of one group of requests (a station, an
// item, a category, an agent, or all of them). Percentages are 0–100 and
// zero when their base is zero; times are seconds.
type Figures struct {
	Key    string `json:"key"`
	Name   string `json:"name"`
	Island bool   `json:"island,omitempty"`

	Requests      int     `json:"requests"`
	Answered      int     `json:"answered"`
	Abandoned     int     `json:"abandoned"`
	AnsweredIn30s int     `json:"answered_in_30s"`
	ServiceLevel  float64 `json:"service_level_pct"` // answered within 30 s, of requests
	AbandonRate   float64 `json:"abandon_rate_pct"`  // abandoned, of requests
	AvgWaitS      float64 `json:"avg_wait_s"`        // answered calls: request to accept
	P90WaitS      float64 `json:"p90_wait_s"`
	AvgHandleS    float64 `json:"avg_handle_s"` // ended calls: accept to hang-up

	Outcomes Outcomes `json:"outcomes"`

	Ratings      [5]int  `json:"ratings"` // count per score 1..5
	Rated        int     `json:"rated"`
	Satisfaction float64 `json:"satisfaction_pct"` // scores 4–5, of rated

	BadRatings          int `json:"bad_ratings"`             // scores 1–2
	BadFollowedUp       int `json:"bad_followed_up"`         // their rectification is fixed
	BadFollowedUpOnTime int `json:"bad_followed_up_on_time"` // fixed by its due time

	OverdueCases int `json:"overdue_cases"` // past due and open, or closed after the due date
}

// acc gathers one group's calls; figures turns it into Figures.
type acc struct {
	f       Figures
	waits   []float64
	waitSum float64
	handle  float64
	handled int
}

func (a *acc) addAbandoned() {
	a.f.Requests++
	a.f.Abandoned++
}

func (a *acc) addAnswered(r *row, today string) {
	a.f.Requests++
	a.f.Answered++
	wait := r.accepted.Sub(r.requested).Seconds()
	a.waits = append(a.waits, wait)
	a.waitSum += wait
	if r.accepted.Sub(r.requested) <= ServiceLevelWait {
		a.f.AnsweredIn30s++
	}
	if !r.ended.IsZero() {
		a.handle += r.ended.Sub(r.accepted).Seconds()
		a.handled++
	}
	a.addOutcome(r.outcome)
	if r.score >= 1 && r.score <= 5 {
		a.f.Ratings[r.score-1]++
		a.f.Rated++
	}
	if r.rectStatus != "" {
		a.f.BadRatings++
		if !r.fixedAt.IsZero() && r.rectStatus == "fixed" {
			a.f.BadFollowedUp++
			if !r.fixedAt.After(r.rectDue) {
				a.f.BadFollowedUpOnTime++
			}
		}
	}
	if r.overdue(today) {
		a.f.OverdueCases++
	}
}

func (a *acc) addOutcome(o string) {
	switch o {
	case "done":
		a.f.Outcomes.Done++
	case "forwarded":
		a.f.Outcomes.Forwarded++
	case "needs_materials":
		a.f.Outcomes.NeedsMaterials++
	case "consultation":
		a.f.Outcomes.Consultation++
	default:
		a.f.Outcomes.None++
	}
}

func (a *acc) figures() Figures {
	f := a.f
	f.ServiceLevel = pct(f.AnsweredIn30s, f.Requests)
	f.AbandonRate = pct(f.Abandoned, f.Requests)
	if n := len(a.waits); n > 0 {
		f.AvgWaitS = round1(a.waitSum / float64(n))
		f.P90WaitS = round1(percentile(a.waits, 0.9))
	}
	if a.handled > 0 {
		f.AvgHandleS = round1(a.handle / float64(a.handled))
	}
	f.Satisfaction = pct(f.Ratings[3]+f.Ratings[4], f.Rated)
	return f
}

// percentile is the nearest-rank percentile: the smallest value with at
// least p of the values at or below it. It sorts v.
func percentile(v []float64, p float64) float64 {
	sort.Float64s(v)
	i := int(math.Ceil(p*float64(len(v)))) - 1
	return v[max(i, 0)]
}

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return round1(100 * float64(n) / float64(of))
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
