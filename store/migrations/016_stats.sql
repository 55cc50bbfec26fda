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
CREATE INDEX call_requests_requested_at ON call_requests (requested_at)
--;
-- The statistics pick calls by when they were requested.
CREATE INDEX calls_requested_at ON calls (requested_at)
--;
-- The statistics read each table joined to the calls by its own time.
CREATE INDEX cases_opened_at ON cases (opened_at)
--;
CREATE INDEX ratings_at ON ratings (at)
--;
CREATE INDEX rectifications_opened_at ON rectifications (opened_at)
