// Package store opens the durable database (SQLite embedded, PostgreSQL in a
// cluster) and applies the numbered migrations. Queries are written once with
// '?' placeholders and rebound for PostgreSQL, so every query runs on both.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a database/sql handle that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
}

// Open connects to url and applies pending migrations. A url starting with
// postgres:// or postgresql:// selects PostgreSQL; anything else is a SQLite
// file path (its directory is created).
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := connect(url)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("reach database: %w", err)
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// sqliteConns bounds the embedded database's connections: readers beside
// the one writer.
const sqliteConns = 32

func connect(url string) (*DB, error) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		sdb, err := sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sdb.SetMaxOpenConns(20)
		return &DB{DB: sdb, Dialect: Postgres}, nil
	}
	if dir := filepath.Dir(url); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// WAL lets readers run beside the single writer; busy_timeout makes
	// concurrent writers wait instead of failing with SQLITE_BUSY.
	dsn := "file:" + url + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", url, err)
	}
	// Every connection opened parses the whole schema again, which cost a
	// tenth of the node's CPU while a hundred calls started at once: with
	// more connections open than kept idle, each burst closed the extra
	// ones after use and the next burst reopened them. So as many are kept
	// as may be open; SQLite writes one at a time anyway.
	sdb.SetMaxOpenConns(sqliteConns)
	sdb.SetMaxIdleConns(sqliteConns)
	return &DB{DB: sdb, Dialect: SQLite}, nil
}

// Rebind turns '?' placeholders into the dialect's form ($1, $2 … for
// PostgreSQL). Queries must not contain a literal '?'.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Exec runs a statement written with '?' placeholders.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.Rebind(query), args...)
}

// Query runs a query written with '?' placeholders.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.Rebind(query), args...)
}

// QueryRow runs a single-row query written with '?' placeholders.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.Rebind(query), args...)
}

// Querier is what DB and Tx share, so the same queries run inside and
// outside a transaction.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ Querier = (*DB)(nil)
	_ Querier = (*Tx)(nil)
)

// Tx runs fn in a transaction, committing when fn returns nil.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	stx, err := db.DB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(&Tx{Tx: stx, db: db}); err != nil {
		stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Tx is a transaction that rebinds placeholders like DB. A statement run
// more than once in it is prepared once: a batch of a hundred call starts
// otherwise spent a quarter of its time parsing the same few statements
// again. Like sql.Tx's statements, they close with the transaction. A Tx is
// used by one goroutine at a time.
type Tx struct {
	*sql.Tx
	db   *DB
	seen map[string]*sql.Stmt // by query; nil until the query's second run
}

// stmt returns the prepared statement of query from its second run in the
// transaction on, and nil for the first run (or if it cannot be prepared,
// which the plain run then reports): a statement run once is not worth a
// prepare of its own, which on PostgreSQL is one more round trip.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	st, ok := tx.seen[query]
	if !ok {
		if tx.seen == nil {
			tx.seen = make(map[string]*sql.Stmt)
		}
		tx.seen[query] = nil
		return nil
	}
	if st == nil {
		var err error
		if st, err = tx.Tx.PrepareContext(ctx, tx.db.Rebind(query)); err != nil {
			return nil
		}
		tx.seen[query] = st
	}
	return st
}

// Exec runs a statement written with '?' placeholders.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, tx.db.Rebind(query), args...)
}

// Query runs a query written with '?' placeholders.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, tx.db.Rebind(query), args...)
}

// QueryRow runs a single-row query written with '?' placeholders.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.Tx.QueryRowContext(ctx, tx.db.Rebind(query), args...)
}

// Millis is the store's time format: Unix milliseconds in a BIGINT column,
// identical on both engines.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// Time converts a Millis value back; 0 is the zero time.
func Time(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
