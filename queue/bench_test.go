package queue

import (
	"fmt"
	"log/slog"
	"testing"
	"time"
)

// benchQueue returns a queue on the wall clock holding 1,000 waiting requests
// over ten skill groups (every tenth green, every seventh with a due
// appointment), the last one for a group of its own, "rare".
func benchQueue(b *testing.B) *Local {
	q := NewLocal(Config{Logger: slog.New(slog.DiscardHandler)}, nil)
	b.Cleanup(func() { q.Close() })
	ctx := b.Context()
	for i := range 1000 {
		r := request(fmt.Sprintf("r%d", i), fmt.Sprintf("s%d", i), fmt.Sprintf("group%d", i%10))
		r.Green = i%10 == 3
		if i%7 == 0 {
			r.AppointmentID, r.AppointmentAt = "ap", time.Now().Add(-time.Minute)
		}
		if i == 999 {
			r.SkillGroup = "rare"
		}
		if _, err := q.Enqueue(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 20 {
		a := Agent{ID: fmt.Sprintf("busy%d", i), Skills: []string{fmt.Sprintf("group%d", i%10)}}
		if err := q.AgentOnline(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
	return q
}

// BenchmarkRoute1000Waiting measures routing with 1,000 requests waiting. One
// op is two decisions: the agent turns ready and gets an offer, then turns not
// ready, the offer is withdrawn and the queue is routed again. Each decision
// includes reordering, routing and recomputing every position and estimate.
func BenchmarkRoute1000Waiting(b *testing.B) {
	cases := []struct {
		name  string
		agent Agent
	}{
		{"head of line", Agent{ID: "a", Skills: []string{"group3"}}},
		{"last in line", Agent{ID: "a", Skills: []string{"rare"}}},
		{"generalist", Agent{ID: "a", Generalist: true}},
		{"nothing to serve", Agent{ID: "a", Skills: []string{"none"}}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			q := benchQueue(b)
			ctx := b.Context()
			if err := q.AgentOnline(ctx, c.agent); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := q.SetReady(ctx, "a", true); err != nil {
					b.Fatal(err)
				}
				if err := q.SetReady(ctx, "a", false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEnqueueCancel1000Waiting measures a station joining and leaving
// behind 1,000 others.
func BenchmarkEnqueueCancel1000Waiting(b *testing.B) {
	q := benchQueue(b)
	ctx := b.Context()
	r := request("extra", "extra-station", "group1")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := q.Enqueue(ctx, r); err != nil {
			b.Fatal(err)
		}
		if err := q.Cancel(ctx, r.StationID, r.ID); err != nil {
			b.Fatal(err)
		}
	}
}
