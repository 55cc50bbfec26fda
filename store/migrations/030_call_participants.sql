-- Everyone who took part in a call besides its station and first agent:
-- the agent a transfer went to, a consulted back office, a supervisor who
-- watched or stepped in. What the call produced (its case, its scans)
-- stays open to them; joined_at is Unix milliseconds of the first join in
-- that role.
CREATE TABLE call_participants (
	call_id TEXT NOT NULL,
	account_id TEXT NOT NULL,
	role TEXT NOT NULL,
	joined_at BIGINT NOT NULL,
	PRIMARY KEY (call_id, account_id, role)
)
