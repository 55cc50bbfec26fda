-- Rectifications (差评整改): one per badly rated call (score 1–2), opened
-- when the resident rates it and followed up by a supervisor until fixed.
-- status is open, in_progress or fixed; owner_* is the supervisor who took
-- it on (empty until someone does).
CREATE TABLE rectifications (
	call_id TEXT PRIMARY KEY,
	station_id TEXT NOT NULL,
	agent_id TEXT NOT NULL,
	score INTEGER NOT NULL,
	comment TEXT NOT NULL,
	status TEXT NOT NULL,
	owner_id TEXT NOT NULL,
	owner_name TEXT NOT NULL,
	opened_at BIGINT NOT NULL,
	due_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
CREATE INDEX rectifications_status_due ON rectifications (status, due_at)
--;
-- Every step of a rectification, numbered from 1 in order (two steps may
-- share a millisecond); rows are only ever added.
CREATE TABLE rectification_steps (
	call_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	at BIGINT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	status TEXT NOT NULL,
	note TEXT NOT NULL,
	PRIMARY KEY (call_id, seq)
)
