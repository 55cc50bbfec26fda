-- Append-only audit log: who did what to which object, from where. The
-- product never updates or deletes rows here.
CREATE TABLE audit_log (
	id TEXT PRIMARY KEY,
	at BIGINT NOT NULL,
	actor_id TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	actor_role TEXT NOT NULL,
	action TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id TEXT NOT NULL,
	remote_addr TEXT NOT NULL,
	detail TEXT NOT NULL
)
--;
CREATE INDEX audit_log_at ON audit_log (at)
--;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id)
