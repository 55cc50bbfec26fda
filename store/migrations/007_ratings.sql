-- The resident's rating of a call (满意度评价), given at the station after
-- it ends: one per call. Bad ratings (1–2) are what supervisors follow up.
CREATE TABLE ratings (
	call_id TEXT PRIMARY KEY,
	station_id TEXT NOT NULL,
	agent_id TEXT NOT NULL,
	score INTEGER NOT NULL,
	comment TEXT NOT NULL,
	at BIGINT NOT NULL
)
--;
CREATE INDEX ratings_agent ON ratings (agent_id, at)
--;
CREATE INDEX ratings_score ON ratings (score, at)
