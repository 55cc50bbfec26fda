-- Every call request a station made, answered or not: a request with no
-- row in calls (same id) left the queue unanswered, which is what the
-- statistics count as abandoned. Times are Unix milliseconds.
CREATE TABLE call_requests (
	id TEXT PRIMARY KEY,
	station_id TEXT NOT NULL,
	station_name TEXT NOT NULL,
	island BOOLEAN NOT NULL,
	item_id TEXT NOT NULL,
	item_name TEXT NOT NULL,
	category TEXT NOT NULL,
	green BOOLEAN NOT NULL,
	requested_at BIGINT NOT NULL
)
--;
-- The statistics read each table by its own time and join the rows in
-- memory. These indexes hold every column they read, so a month is one
-- ordered walk of an index instead of a table lookup per row (on 100,000
-- calls that was most of the time).
CREATE INDEX call_requests_stats ON call_requests (requested_at, id, station_id, station_name, island, item_id, item_name, category)
--;
CREATE INDEX calls_stats ON calls (requested_at, id, station_id, station_name, island, agent_id, agent_name,
	item_id, item_name, category, accepted_at, ended_at, outcome)
--;
CREATE INDEX cases_stats ON cases (opened_at, call_id, due_date, closed_at)
--;
CREATE INDEX ratings_stats ON ratings (at, call_id, score)
--;
CREATE INDEX rectifications_opened_at ON rectifications (opened_at)
