package cases

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"cloudwindow/calls"
	"cloudwindow/store"
)

// BenchmarkOpenAndWrapUp measures a case's life in a call on SQLite:
// opening it with its number, then the forwarded wrap-up with its due date.
func BenchmarkOpenAndWrapUp(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := newEnv(b, db)
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
