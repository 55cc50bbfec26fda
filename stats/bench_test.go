package stats

import (
	"context"
	"os"
	"testing"
	"time"

	"cloudwindow/store"
)

// BenchmarkMonthFromRollup reads November 2026 from a store seeded by
// scripts/bench-stats (the roll-up built in the center's zone,
// Asia/Shanghai), in process: STATS_DB=/tmp/cloudwindow-stats-bench/cloudwindow.db
// go test -run X -bench MonthFromRollup ./stats/ (add -cpuprofile to see where
// the time goes).
func BenchmarkMonthFromRollup(b *testing.B) {
	url := os.Getenv("STATS_DB")
	if url == "" {
		b.Skip("STATS_DB names no seeded store")
	}
	db, err := store.Open(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	s := NewService(db, nil, loc, time.Now, func(s string) string { return s }, nil)
	p, _ := s.Period(Month, "2026-11-01", "", "")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Report(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}
