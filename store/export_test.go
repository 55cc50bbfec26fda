package store

import "context"

// Migrate applies pending migrations again, for tests outside the package.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx) }

// MigrationCount is how many migrations the store carries.
func MigrationCount() int {
	ms, _ := loadMigrations()
	return len(ms)
}

// ForDialect exposes forDialect to the tests.
var ForDialect = forDialect
