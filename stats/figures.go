package stats

import (
	"math"
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

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return round1(100 * float64(n) / float64(of))
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
