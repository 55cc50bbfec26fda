package store

import "context"

// Migrate applies pending migrations again, for tests outside the package.
func (db *DB) Migrate(ctx context.Context) error { return db.migrate(ctx) }
