package store_test

import (
	"context"
	"testing"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func TestMigrationsApplyOnceAndQueriesRebind(t *testing.T) {
	ctx := context.Background()
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second migrate must be a no-op: %v", err)
		}
		_, err := db.Exec(ctx, `INSERT INTO audit_log (id, at, actor_id, actor_name, actor_role, action, object_type, object_id, remote_addr, detail)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, "a1", 5, "u", "n", "admin", "view", "recording", "r1", "127.0.0.1", "")
		if err != nil {
			t.Fatalf("insert: %v", err)
		}
		var at int64
		if err := db.QueryRow(ctx, `SELECT at FROM audit_log WHERE id = ?`, "a1").Scan(&at); err != nil || at != 5 {
			t.Fatalf("read back: at=%d err=%v", at, err)
		}
	})
}

func TestRebind(t *testing.T) {
	pg := &store.DB{Dialect: store.Postgres}
	if got := pg.Rebind("a = ? AND b = ?"); got != "a = $1 AND b = $2" {
		t.Fatalf("postgres rebind: %q", got)
	}
	lite := &store.DB{Dialect: store.SQLite}
	if got := lite.Rebind("a = ?"); got != "a = ?" {
		t.Fatalf("sqlite rebind changed the query: %q", got)
	}
}
