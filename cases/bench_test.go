package cases

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"cloudwindow/calls"
	"cloudwindow/store"
)

// benchEnv is a service on a SQLite file, as a node runs it.
func benchEnv(b *testing.B) *env {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := newEnv(b, db)
	b.Cleanup(e.svc.Close)
	return e
}

// BenchmarkOpenAndWrapUp measures a case's life in a call on SQLite:
// opening it with its number, then the forwarded wrap-up with its due date.
func BenchmarkOpenAndWrapUp(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	rows := make([]calls.Call, b.N)
	for i := range rows {
		rows[i] = e.newCall(b, fmt.Sprintf("bench-%d", i), station1, agent1, itemForwarded)
	}
	b.ResetTimer()
	for _, call := range rows {
		c, err := e.svc.OpenForCall(ctx, call)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStartHundredTogether measures a hundred calls accepted at the same
// moment on SQLite: their records and cases, committed in the few batched
// transactions of StartCall. One op is the hundred.
func BenchmarkStartHundredTogether(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		var wg sync.WaitGroup
		for j := range 100 {
			c := e.startCall(fmt.Sprintf("bench-%d-%d", i, j))
			wg.Go(func() {
				if _, err := e.svc.StartCall(ctx, c); err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
	}
}
