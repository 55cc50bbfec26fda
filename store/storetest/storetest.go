// Package storetest opens throwaway stores for tests: SQLite in a temporary
// directory, and PostgreSQL in a schema of the test's own.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"cloudwindow/store"
)

// OpenPostgres creates a throwaway schema in the PostgreSQL database at
// url, opens a migrated store inside it and drops the schema when the test
// ends, so tests of every package can run against PostgreSQL in parallel.
func OpenPostgres(t testing.TB, url string) *store.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schemaURL := NewSchema(t, url)
	db, err := store.Open(ctx, schemaURL)
	if err != nil {
		t.Fatalf("open postgres %s: %v", schemaURL, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewSchema creates an empty schema in the PostgreSQL database at url,
// dropped when the test ends, and returns the url that works inside it.
func NewSchema(t testing.TB, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", url); err == nil {
			a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			a.Close()
		}
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%ssearch_path=%s", url, sep, schema)
}

// OpenSQLite opens a migrated SQLite store in a temporary directory,
// closed when the test ends.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ForEachDB runs fn as the subtest "sqlite" on a fresh SQLite store and,
// when CLOUDWINDOW_TEST_POSTGRES names a database, as "postgres" on a fresh
// PostgreSQL schema: every query must work on both.
func ForEachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t)) })
	if url := os.Getenv("CLOUDWINDOW_TEST_POSTGRES"); url != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, OpenPostgres(t, url)) })
	}
}
