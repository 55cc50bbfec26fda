package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// OpenTestPostgres creates a throwaway schema in the PostgreSQL database at
// url, opens a migrated store inside it and drops the schema when the test
// ends, so tests of every package can run against PostgreSQL in parallel.
func OpenTestPostgres(t testing.TB, url string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")
	admin, err := connect(url)
	if err != nil {
		t.Fatalf("connect postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := Open(ctx, fmt.Sprintf("%s%ssearch_path=%s", url, sep, schema))
	if err != nil {
		t.Fatalf("open postgres schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		db.Close()
		if a, err := connect(url); err == nil {
			a.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			a.Close()
		}
	})
	return db
}
