package store_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

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

// TestNodesStartingTogetherMigrateOnce starts several nodes' stores at once
// on an empty PostgreSQL schema: each must open, and each migration must be
// applied exactly once.
func TestNodesStartingTogetherMigrateOnce(t *testing.T) {
	url := os.Getenv("CLOUDWINDOW_TEST_POSTGRES")
	if url == "" {
		t.Skip("CLOUDWINDOW_TEST_POSTGRES is not set")
	}
	schemaURL := storetest.NewSchema(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const nodes = 4
	errs := make(chan error, nodes)
	var wg sync.WaitGroup
	for range nodes {
		wg.Go(func() {
			db, err := store.Open(ctx, schemaURL)
			if err == nil {
				db.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("node start: %v", err)
		}
	}
	db, err := store.Open(ctx, schemaURL)
	if err != nil {
		t.Fatalf("open after the race: %v", err)
	}
	defer db.Close()
	want := store.MigrationCount()
	var applied, distinct int
	if err := db.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != want || distinct != want {
		t.Errorf("schema_migrations holds %d rows (%d versions), want each of %d migrations once", applied, distinct, want)
	}
}

func TestStatementsForOneDialect(t *testing.T) {
	cases := []struct {
		stmt         string
		sqlite, pgsq bool
	}{
		{"CREATE TABLE a (x INTEGER)", true, true},
		{"-- a comment\nCREATE TABLE a (x INTEGER)", true, true},
		{"-- only sqlite\nCREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; END", true, false},
		{"-- why\n-- only postgres\nCREATE FUNCTION f() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$", false, true},
		{"CREATE TABLE a (x INTEGER)\n-- only postgres", true, true}, // only a leading comment counts
	}
	for _, c := range cases {
		if got := store.ForDialect(c.stmt, store.SQLite); got != c.sqlite {
			t.Errorf("%q on sqlite: %v", c.stmt, got)
		}
		if got := store.ForDialect(c.stmt, store.Postgres); got != c.pgsq {
			t.Errorf("%q on postgres: %v", c.stmt, got)
		}
	}
}

// A burst of queries must not close the connections it opened: each new
// SQLite connection parses the whole schema again.
func TestSQLiteKeepsItsConnectionsAfterABurst(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir()+"/burst.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for range 3 {
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				rows, err := db.Query(ctx, `SELECT id FROM audit_log`)
				if err != nil {
					t.Error(err)
					return
				}
				time.Sleep(5 * time.Millisecond) // hold the connection, as a slow reader does
				rows.Close()
			})
		}
		wg.Wait()
	}
	if st := db.Stats(); st.MaxIdleClosed > 0 || st.MaxLifetimeClosed > 0 || st.OpenConnections == 0 {
		t.Errorf("after three bursts: %d connections open, %d closed as idle beyond the pool, %d for their age; want none closed",
			st.OpenConnections, st.MaxIdleClosed, st.MaxLifetimeClosed)
	}
}

// A statement run again and again in one transaction (prepared from its
// second run) writes and reads as a plain one does, reports its errors, and
// a rolled-back transaction leaves nothing.
func TestTransactionRunsAStatementManyTimes(t *testing.T) {
	ctx := context.Background()
	const insert = `INSERT INTO audit_log (id, at, actor_id, actor_name, actor_role, action, object_type, object_id, remote_addr, detail)
		VALUES (?, ?, 'u', 'n', 'admin', 'view', 'recording', 'r1', '127.0.0.1', '')`
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for i := range 5 {
				if _, err := tx.Exec(ctx, insert, "many-"+strconv.Itoa(i), i); err != nil {
					return err
				}
				var at int64
				if err := tx.QueryRow(ctx, `SELECT at FROM audit_log WHERE id = ?`, "many-"+strconv.Itoa(i)).Scan(&at); err != nil || at != int64(i) {
					t.Errorf("run %d reads back at=%d, err %v", i, at, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("transaction: %v", err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			for i := range 3 {
				if _, err := tx.Exec(ctx, insert, "undone-"+strconv.Itoa(i), i); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, insert, "many-0", 0) // a third run, prepared: the id is taken
			return err
		})
		if err == nil {
			t.Fatal("a taken id was inserted again")
		}
		var n int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE id LIKE 'many-%' OR id LIKE 'undone-%'`).Scan(&n); err != nil || n != 5 {
			t.Fatalf("rows after a failed transaction: %d (err %v), want the first one's 5", n, err)
		}
	})
}
