-- One row per recorded call session. Station, agent and item are copied from
-- the call when recording starts so the review list filters on this table
-- alone, through the indexes below, even with hundreds of thousands of rows.
-- status: recording | finished | failed | repaired | deleted (a tombstone:
-- the files are gone, the row stays).
CREATE TABLE recordings (
	call_id TEXT PRIMARY KEY,
	station_id TEXT NOT NULL,
	station_name TEXT NOT NULL,
	island BOOLEAN NOT NULL,
	agent_id TEXT NOT NULL,
	agent_name TEXT NOT NULL,
	item_id TEXT NOT NULL,
	item_name TEXT NOT NULL,
	category TEXT NOT NULL,
	node TEXT NOT NULL,
	started_at BIGINT NOT NULL,
	ended_at BIGINT NOT NULL,
	duration_ms BIGINT NOT NULL,
	status TEXT NOT NULL,
	error TEXT NOT NULL,
	legal_hold BOOLEAN NOT NULL,
	hold_by TEXT NOT NULL,
	hold_at BIGINT NOT NULL,
	deleted_at BIGINT NOT NULL
)
--;
CREATE INDEX recordings_started ON recordings (started_at, call_id)
--;
CREATE INDEX recordings_station ON recordings (station_id, started_at, call_id)
--;
CREATE INDEX recordings_agent ON recordings (agent_id, started_at, call_id)
--;
CREATE INDEX recordings_item ON recordings (item_id, started_at, call_id)
--;
CREATE INDEX recordings_category ON recordings (category, started_at, call_id)
--;
CREATE INDEX recordings_status ON recordings (status, started_at, call_id)
--;
-- One row per media file: a party's audio and camera, or the station's
-- document camera. path is relative to the recordings directory.
CREATE TABLE recording_files (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	party TEXT NOT NULL,
	part INTEGER NOT NULL,
	path TEXT NOT NULL,
	content_type TEXT NOT NULL,
	tracks TEXT NOT NULL,
	node TEXT NOT NULL,
	started_at BIGINT NOT NULL,
	ended_at BIGINT NOT NULL,
	duration_ms BIGINT NOT NULL,
	size_bytes BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	status TEXT NOT NULL,
	error TEXT NOT NULL
)
--;
CREATE INDEX recording_files_call ON recording_files (call_id, party, part)
--;
CREATE INDEX recording_files_status ON recording_files (status, node)
--;
-- Supervisors' notes pinned to a time in the recording.
CREATE TABLE recording_notes (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	at_ms BIGINT NOT NULL,
	text TEXT NOT NULL,
	author_id TEXT NOT NULL,
	author_name TEXT NOT NULL,
	created_at BIGINT NOT NULL
)
--;
CREATE INDEX recording_notes_call ON recording_notes (call_id, at_ms)
