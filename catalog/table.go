package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"cloudwindow/store"
)

const itemColumns = `id, name_zh, name_en, category, skill_group, mode, materials,
	time_limit_days, signature_required, guide_zh, enabled, edited_by_admin, updated_at`

const dataVersionKey = "data_version"

func scanItem(sc interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var materials string
	var updated int64
	err := sc.Scan(&it.ID, &it.NameZh, &it.NameEn, &it.Category, &it.SkillGroup, &it.Mode, &materials,
		&it.TimeLimitDays, &it.SignatureRequired, &it.GuideZh, &it.Enabled, &it.EditedByAdmin, &updated)
	if err != nil {
		return Item{}, err
	}
	if err := json.Unmarshal([]byte(materials), &it.Materials); err != nil {
		return Item{}, fmt.Errorf("decode materials of catalog item %s: %w", it.ID, err)
	}
	it.UpdatedAt = store.Time(updated)
	return it, nil
}

func loadItem(ctx context.Context, db store.Querier, id string) (Item, error) {
	it, err := scanItem(db.QueryRow(ctx, `SELECT `+itemColumns+` FROM catalog_items WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, fmt.Errorf("catalog item %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Item{}, fmt.Errorf("load catalog item %s: %w", id, err)
	}
	return it, nil
}

// loadItems returns the items ordered by id; the caller orders them for display.
func loadItems(ctx context.Context, db store.Querier, includeDisabled bool) ([]Item, error) {
	q := `SELECT ` + itemColumns + ` FROM catalog_items`
	var args []any
	if !includeDisabled {
		q += ` WHERE enabled = ?`
		args = append(args, true)
	}
	rows, err := db.Query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list catalog items: %w", err)
	}
	defer rows.Close()
	var items []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("scan catalog item: %w", err)
		}
		items = append(items, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list catalog items: %w", err)
	}
	return items, nil
}

// insertItem adds it unless its id is taken, reporting whether it did. The
// conflict clause lets several nodes seed one database at the same time.
func insertItem(ctx context.Context, db store.Querier, it Item, updatedAt int64) (bool, error) {
	materials, err := json.Marshal(it.Materials)
	if err != nil {
		return false, fmt.Errorf("encode materials of catalog item %s: %w", it.ID, err)
	}
	res, err := db.Exec(ctx, `INSERT INTO catalog_items (`+itemColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		it.ID, it.NameZh, it.NameEn, it.Category, it.SkillGroup, string(it.Mode), string(materials),
		it.TimeLimitDays, it.SignatureRequired, it.GuideZh, it.Enabled, it.EditedByAdmin, updatedAt)
	if err != nil {
		return false, fmt.Errorf("insert catalog item %s: %w", it.ID, err)
	}
	return affected(res, "insert catalog item "+it.ID)
}

// updateContent replaces the descriptive fields of item it.ID and leaves
// enabled alone: switching an item on or off is always the admin's call.
// With onlyUnedited, rows an admin has edited are skipped.
func updateContent(ctx context.Context, db store.Querier, it Item, editedByAdmin, onlyUnedited bool, updatedAt int64) (bool, error) {
	materials, err := json.Marshal(it.Materials)
	if err != nil {
		return false, fmt.Errorf("encode materials of catalog item %s: %w", it.ID, err)
	}
	q := `UPDATE catalog_items SET name_zh = ?, name_en = ?, category = ?, skill_group = ?, mode = ?,
		materials = ?, time_limit_days = ?, signature_required = ?, guide_zh = ?, edited_by_admin = ?,
		updated_at = ? WHERE id = ?`
	args := []any{it.NameZh, it.NameEn, it.Category, it.SkillGroup, string(it.Mode), string(materials),
		it.TimeLimitDays, it.SignatureRequired, it.GuideZh, editedByAdmin, updatedAt, it.ID}
	if onlyUnedited {
		q += ` AND edited_by_admin = ?`
		args = append(args, false)
	}
	res, err := db.Exec(ctx, q, args...)
	if err != nil {
		return false, fmt.Errorf("update catalog item %s: %w", it.ID, err)
	}
	return affected(res, "update catalog item "+it.ID)
}

func setEnabled(ctx context.Context, db store.Querier, id string, enabled bool, updatedAt int64) (bool, error) {
	res, err := db.Exec(ctx, `UPDATE catalog_items SET enabled = ?, updated_at = ? WHERE id = ?`, enabled, updatedAt, id)
	if err != nil {
		return false, fmt.Errorf("set enabled of catalog item %s: %w", id, err)
	}
	return affected(res, "set enabled of catalog item "+id)
}

func itemIDs(ctx context.Context, db store.Querier) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT id FROM catalog_items`)
	if err != nil {
		return nil, fmt.Errorf("list catalog item ids: %w", err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("scan catalog item id: %w", err)
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// lockDataVersion makes the calling transaction the only seeder until it
// ends: the upsert row-locks the version on PostgreSQL, and as the first
// statement it takes SQLite's write lock before any read, so a concurrent
// seeder waits (busy_timeout) instead of failing to upgrade a read lock.
func lockDataVersion(ctx context.Context, tx store.Querier) error {
	_, err := tx.Exec(ctx, `INSERT INTO catalog_meta (name, value) VALUES (?, 0)
		ON CONFLICT (name) DO UPDATE SET value = catalog_meta.value`, dataVersionKey)
	if err != nil {
		return fmt.Errorf("lock catalog data version: %w", err)
	}
	return nil
}

// dataVersion is the version of the data file last seeded; 0 before the first seed.
func dataVersion(ctx context.Context, db store.Querier) (int, error) {
	var v int
	err := db.QueryRow(ctx, `SELECT value FROM catalog_meta WHERE name = ?`, dataVersionKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read catalog data version: %w", err)
	}
	return v, nil
}

// raiseDataVersion stores v unless a newer version is already stored.
func raiseDataVersion(ctx context.Context, db store.Querier, v int) error {
	_, err := db.Exec(ctx, `INSERT INTO catalog_meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE catalog_meta.value < excluded.value`,
		dataVersionKey, v)
	if err != nil {
		return fmt.Errorf("store catalog data version %d: %w", v, err)
	}
	return nil
}

func affected(res sql.Result, what string) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("%s: rows affected: %w", what, err)
	}
	return n > 0, nil
}
