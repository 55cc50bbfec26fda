package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are numbered SQL files, NNN_name.sql, applied in order once each.
// Statements are separated by lines holding only "--;" so no SQL parser is
// needed; each file must run unchanged on SQLite and PostgreSQL. The rare
// statement that cannot be written for both (a trigger: PostgreSQL needs a
// function for it, SQLite has none) carries a leading comment line
// "-- only sqlite" or "-- only postgres" and runs on that engine alone.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a number", ms[i-1].name, ms[i].name)
		}
	}
	return ms, nil
}

// migrate applies the pending migrations. On PostgreSQL it holds an
// advisory lock meanwhile, so that nodes starting together on an empty
// database take turns instead of racing to create the same tables.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if db.Dialect == Postgres {
		unlock, err := db.lockMigrations(ctx)
		if err != nil {
			return err
		}
		defer unlock()
	}
	if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied := map[int]bool{}
	rows, err := db.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("scan schema_migrations: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// migrationLockID is the first key of the migrations' advisory lock; the
// second is the schema's, so clusters in separate schemas don't wait for
// each other.
const migrationLockID = 0x636c7764 // "clwd"

// lockMigrations takes the migrations' advisory lock on a connection of its
// own, waiting while another node holds it; unlock releases it. Should the
// process die, PostgreSQL releases it with the connection.
func (db *DB) lockMigrations(ctx context.Context) (unlock func(), err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration lock: connect: %w", err)
	}
	const key = `$1, hashtext(current_schema())`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(`+key+`)`, migrationLockID); err != nil {
		conn.Close()
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.ExecContext(ctx, `SELECT pg_advisory_unlock(`+key+`)`, migrationLockID)
		conn.Close()
	}, nil
}

func (db *DB) apply(ctx context.Context, m migration) error {
	return db.Tx(ctx, func(tx *Tx) error {
		for _, stmt := range strings.Split(m.sql, "\n--;\n") {
			if strings.TrimSpace(stmt) == "" || !forDialect(stmt, db.Dialect) {
				continue
			}
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name)
		if err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		return nil
	})
}

// forDialect reports whether a migration statement runs on d: all do
// except those with a leading comment line "-- only <dialect>" naming
// another.
func forDialect(stmt string, d Dialect) bool {
	for _, line := range strings.Split(strings.TrimSpace(stmt), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			return true
		}
		if only, ok := strings.CutPrefix(line, "-- only "); ok {
			return Dialect(strings.TrimSpace(only)) == d
		}
	}
	return true
}
