-- One row per call session: from the station's request to the agent's wrap-up.
CREATE TABLE calls (
	id TEXT PRIMARY KEY,
	station_id TEXT NOT NULL,
	station_name TEXT NOT NULL,
	island BOOLEAN NOT NULL,
	agent_id TEXT NOT NULL,
	agent_name TEXT NOT NULL,
	item_id TEXT NOT NULL,
	item_name TEXT NOT NULL,
	category TEXT NOT NULL,
	green BOOLEAN NOT NULL,
	requested_at BIGINT NOT NULL,
	accepted_at BIGINT NOT NULL,
	ended_at BIGINT NOT NULL,
	end_reason TEXT NOT NULL,
	outcome TEXT NOT NULL,
	notes TEXT NOT NULL,
	node TEXT NOT NULL
)
--;
CREATE INDEX calls_accepted_at ON calls (accepted_at)
--;
CREATE INDEX calls_station ON calls (station_id, accepted_at)
--;
CREATE INDEX calls_agent ON calls (agent_id, accepted_at)
--;
CREATE INDEX calls_item ON calls (item_id, accepted_at)
--;
-- What happened during a call, in order: queued, offered, accepted, chat,
-- document shared, hang-up, wrap-up … Times are Unix milliseconds.
CREATE TABLE call_events (
	id TEXT PRIMARY KEY,
	call_id TEXT NOT NULL,
	at BIGINT NOT NULL,
	type TEXT NOT NULL,
	actor TEXT NOT NULL,
	detail TEXT NOT NULL
)
--;
CREATE INDEX call_events_call ON call_events (call_id, at)
