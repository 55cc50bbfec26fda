package stats

import (
	"math"
	"time"
)

// part is the partial figures of one group over one day or more. Parts
// of the same group add up (merge) to the figures of a longer period, in
// any order, to exactly what counting the calls of the whole period gives:
// times are summed in whole milliseconds, waits are kept as a histogram in
// tenths of a second (the precision the P90 is reported in), and open
// cases by due date (whether they are overdue depends on the day the
// report is read). The daily roll-up stores parts.
type part struct {
	name   string
	nameAt int64 // request time (ms) of the row that gave the name: the latest wins
	island bool

	requests, answered, abandoned, in30 int

	waitMs   int64
	waits    hist // answered calls per wait in tenths of a second (rounded)
	handleMs int64
	handled  int

	outcomes [5]int // done, forwarded, needs_materials, consultation, none
	ratings  [5]int // scores 1..5

	bad, badFixed, badOnTime int

	overdueClosed int            // cases closed after their due date
	openDue       map[string]int // open cases by due date
}

func newPart() *part { return &part{openDue: map[string]int{}} }

// newMergedPart is a part that merges many: its waits are an array.
func newMergedPart() *part { return &part{openDue: map[string]int{}, waits: hist{isDense: true}} }

// setName keeps the name of the latest request, so a renamed station or
// item shows its current name whichever order parts are merged in.
func (p *part) setName(name string, at int64) {
	if at > p.nameAt || (at == p.nameAt && name > p.name) {
		p.name, p.nameAt = name, at
	}
}

func (p *part) addAbandoned() {
	p.requests++
	p.abandoned++
}

// waitKey is a wait in tenths of a second, rounded as the report rounds.
func waitKey(wait time.Duration) int64 { return int64(math.Round(wait.Seconds() * 10)) }

var outcomeIndex = map[string]int{"done": 0, "forwarded": 1, "needs_materials": 2, "consultation": 3}

func (p *part) addAnswered(r *row) {
	p.requests++
	p.answered++
	wait := r.accepted.Sub(r.requested)
	p.waitMs += wait.Milliseconds()
	p.waits.add(waitKey(wait), 1)
	if wait <= ServiceLevelWait {
		p.in30++
	}
	if !r.ended.IsZero() {
		p.handleMs += r.ended.Sub(r.accepted).Milliseconds()
		p.handled++
	}
	if i, ok := outcomeIndex[r.outcome]; ok {
		p.outcomes[i]++
	} else {
		p.outcomes[4]++
	}
	if r.score >= 1 && r.score <= 5 {
		p.ratings[r.score-1]++
	}
	p.addFollowUp(r)
}

// addFollowUp counts the call's bad rating and its case's due date.
func (p *part) addFollowUp(r *row) {
	if r.rectStatus != "" {
		p.bad++
		if !r.fixedAt.IsZero() && r.rectStatus == "fixed" {
			p.badFixed++
			if !r.fixedAt.After(r.rectDue) {
				p.badOnTime++
			}
		}
	}
	switch {
	case r.dueDate == "":
	case r.closedDay == "":
		p.openDue[r.dueDate]++
	case r.closedDay > r.dueDate:
		p.overdueClosed++
	}
}

func (p *part) merge(o *part) {
	p.setName(o.name, o.nameAt)
	p.island = p.island || o.island
	p.requests += o.requests
	p.answered += o.answered
	p.abandoned += o.abandoned
	p.in30 += o.in30
	p.waitMs += o.waitMs
	p.waits.merge(&o.waits)
	p.handleMs += o.handleMs
	p.handled += o.handled
	for i := range p.outcomes {
		p.outcomes[i] += o.outcomes[i]
		p.ratings[i] += o.ratings[i]
	}
	p.bad += o.bad
	p.badFixed += o.badFixed
	p.badOnTime += o.badOnTime
	p.overdueClosed += o.overdueClosed
	for d, n := range o.openDue {
		p.openDue[d] += n
	}
}

// figures are the part's figures read on today ("YYYY-MM-DD"): an open
// case counts as overdue once today is past its due date.
func (p *part) figures(today string) Figures {
	f := Figures{
		Name: p.name, Island: p.island,
		Requests: p.requests, Answered: p.answered, Abandoned: p.abandoned, AnsweredIn30s: p.in30,
		Outcomes: Outcomes{Done: p.outcomes[0], Forwarded: p.outcomes[1], NeedsMaterials: p.outcomes[2],
			Consultation: p.outcomes[3], None: p.outcomes[4]},
		Ratings:    p.ratings,
		BadRatings: p.bad, BadFollowedUp: p.badFixed, BadFollowedUpOnTime: p.badOnTime,
		OverdueCases: p.overdueClosed,
	}
	f.ServiceLevel = pct(f.AnsweredIn30s, f.Requests)
	f.AbandonRate = pct(f.Abandoned, f.Requests)
	if p.answered > 0 {
		f.AvgWaitS = round1(float64(p.waitMs) / 1000 / float64(p.answered))
		f.P90WaitS = float64(p.waits.percentile(0.9)) / 10
	}
	if p.handled > 0 {
		f.AvgHandleS = round1(float64(p.handleMs) / 1000 / float64(p.handled))
	}
	for _, n := range p.ratings {
		f.Rated += n
	}
	f.Satisfaction = pct(f.Ratings[3]+f.Ratings[4], f.Rated)
	for due, n := range p.openDue {
		if today > due {
			f.OverdueCases += n
		}
	}
	return f
}
