-- Station tickets (取号) are numbered per station per day and prefix (A for
-- plain tickets, G for the green channel). The last number issued is kept
-- here, so that numbering goes on after a restart and on any node.
CREATE TABLE station_ticket_numbers (
	station_id TEXT NOT NULL,
	day TEXT NOT NULL,
	prefix TEXT NOT NULL,
	last_number INTEGER NOT NULL,
	PRIMARY KEY (station_id, day, prefix)
)
