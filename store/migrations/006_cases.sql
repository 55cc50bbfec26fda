-- Cases (办件): one per call, opened when the agent accepts it and given an
-- outcome at wrap-up. number is what a resident quotes ("YW20261122-0007").
-- due_date is a calendar date "YYYY-MM-DD" (empty when none is promised), so
-- it compares as text on both engines. missing is a JSON array of material
-- names; resident a JSON object of what the resident stated.
CREATE TABLE cases (
	id TEXT PRIMARY KEY,
	number TEXT NOT NULL UNIQUE,
	call_id TEXT NOT NULL UNIQUE,
	station_id TEXT NOT NULL,
	station_name TEXT NOT NULL,
	agent_id TEXT NOT NULL,
	agent_name TEXT NOT NULL,
	item_id TEXT NOT NULL,
	item_name TEXT NOT NULL,
	state TEXT NOT NULL,
	missing TEXT NOT NULL,
	notes TEXT NOT NULL,
	resident TEXT NOT NULL,
	due_date TEXT NOT NULL,
	opened_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	closed_at BIGINT NOT NULL
)
--;
CREATE INDEX cases_state_due ON cases (state, due_date)
--;
CREATE INDEX cases_agent ON cases (agent_id, opened_at)
--;
-- The last case number handed out per day (day is "YYYYMMDD"); an upsert on
-- this row makes the sequence safe under concurrent openings.
CREATE TABLE case_numbers (
	day TEXT PRIMARY KEY,
	last_seq INTEGER NOT NULL
)
--;
-- Every change to a case, in order. from_state equals to_state for events
-- that do not change the state (material attached, form pushed, signed …).
CREATE TABLE case_events (
	id TEXT PRIMARY KEY,
	case_id TEXT NOT NULL,
	at BIGINT NOT NULL,
	type TEXT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	from_state TEXT NOT NULL,
	to_state TEXT NOT NULL,
	detail TEXT NOT NULL
)
--;
CREATE INDEX case_events_case ON case_events (case_id, at)
--;
-- Accepted scans attached to a case as one of its item's materials (name is
-- the material's Chinese name from the catalog).
CREATE TABLE case_materials (
	case_id TEXT NOT NULL,
	name TEXT NOT NULL,
	document_id TEXT NOT NULL,
	attached_by TEXT NOT NULL,
	attached_at BIGINT NOT NULL,
	PRIMARY KEY (case_id, name, document_id)
)
--;
-- Confirmation sheets pushed to the station. sha256 is the hex SHA-256 of
-- html exactly as stored: the resident signs that content and nothing else.
CREATE TABLE case_forms (
	id TEXT PRIMARY KEY,
	case_id TEXT NOT NULL,
	html TEXT NOT NULL,
	content TEXT NOT NULL,
	sha256 TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at BIGINT NOT NULL
)
--;
CREATE INDEX case_forms_case ON case_forms (case_id, created_at)
--;
-- A form is signed at most once.
CREATE TABLE case_signatures (
	id TEXT PRIMARY KEY,
	form_id TEXT NOT NULL UNIQUE,
	case_id TEXT NOT NULL,
	station_id TEXT NOT NULL,
	png BYTEA NOT NULL,
	png_sha256 TEXT NOT NULL,
	content_sha256 TEXT NOT NULL,
	signed_at BIGINT NOT NULL
)
--;
CREATE INDEX case_signatures_case ON case_signatures (case_id, signed_at)
--;
-- Scanned documents. The bytes live on disk under the data directory (path
-- is relative to it); status: new | accepted | rescan_requested.
CREATE TABLE documents (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	case_id TEXT NOT NULL,
	station_id TEXT NOT NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	path TEXT NOT NULL,
	status TEXT NOT NULL,
	material TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
CREATE INDEX documents_call ON documents (call_id, created_at)
--;
-- Chunked uploads in progress or finished. status: receiving | assembling |
-- done | failed. A station retrying the same file for the same call must
-- get the same upload, so at most one upload that has not failed exists per
-- (call, station, sha256).
CREATE TABLE uploads (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	station_id TEXT NOT NULL,
	filename TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	chunk_size INTEGER NOT NULL,
	status TEXT NOT NULL,
	document_id TEXT NOT NULL,
	error TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
CREATE UNIQUE INDEX uploads_active ON uploads (call_id, station_id, sha256) WHERE status <> 'failed'
--;
CREATE TABLE upload_chunks (
	upload_id TEXT NOT NULL,
	idx INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (upload_id, idx)
)
