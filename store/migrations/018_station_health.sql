-- The last heartbeat of each station (kiosk): whether it is connected, since
-- when it is not, its app version and its devices' state (a JSON object of
-- device → ok | missing | none | unknown). Kept in the store so that
-- supervisors see "offline since" across restarts and on every node.
CREATE TABLE station_health (
	station_id TEXT PRIMARY KEY REFERENCES accounts (id),
	online BOOLEAN NOT NULL DEFAULT FALSE,
	last_seen BIGINT NOT NULL,
	offline_since BIGINT NOT NULL DEFAULT 0,
	version TEXT NOT NULL DEFAULT '',
	devices TEXT NOT NULL DEFAULT '{}'
)
