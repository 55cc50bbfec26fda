-- Station helpers (代办员) who acted for the resident in a case's call: who
-- helped, recorded when they signed in on the kiosk. A helper signing in
-- twice in the same call is one row.
CREATE TABLE case_helpers (
	case_id TEXT NOT NULL,
	helper_id TEXT NOT NULL,
	helper_name TEXT NOT NULL,
	station_id TEXT NOT NULL,
	joined_at BIGINT NOT NULL,
	PRIMARY KEY (case_id, helper_id)
)
