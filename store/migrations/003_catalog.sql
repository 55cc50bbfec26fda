-- The service catalog: the items a street center handles remotely. Rows are
-- seeded from catalog/items.json; edited_by_admin marks rows a seed must
-- never overwrite. materials is a JSON array of {name_zh, name_en, required}.
CREATE TABLE catalog_items (
	id TEXT PRIMARY KEY,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL,
	category TEXT NOT NULL,
	skill_group TEXT NOT NULL,
	mode TEXT NOT NULL,
	materials TEXT NOT NULL,
	time_limit_days INTEGER NOT NULL,
	signature_required BOOLEAN NOT NULL,
	guide_zh TEXT NOT NULL,
	enabled BOOLEAN NOT NULL,
	edited_by_admin BOOLEAN NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
CREATE INDEX catalog_items_category ON catalog_items (category)
--;
-- Named numbers about the catalog; "data_version" is the version of the
-- data file last seeded, so an older binary never rolls items back.
CREATE TABLE catalog_meta (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
)
