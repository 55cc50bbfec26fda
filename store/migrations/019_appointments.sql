-- Agent schedules for appointments (预约): an agent serves one skill group
-- on a weekday (1 Monday … 7 Sunday) from start_min to end_min (minutes
-- after midnight, local time), taking capacity bookings in each slot.
CREATE TABLE appointment_schedules (
	id TEXT PRIMARY KEY,
	agent_id TEXT NOT NULL,
	skill_group TEXT NOT NULL,
	weekday INTEGER NOT NULL,
	start_min INTEGER NOT NULL,
	end_min INTEGER NOT NULL,
	capacity INTEGER NOT NULL,
	updated_by TEXT NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
-- Bookings. The resident's name is kept masked and the phone only as its
-- last four digits: nothing more is needed to greet them and find the
-- booking. state: booked, arrived (a call was requested), cancelled, no_show.
-- Times are Unix milliseconds.
CREATE TABLE appointments (
	id TEXT PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	station_id TEXT NOT NULL,
	station_name TEXT NOT NULL,
	island BOOLEAN NOT NULL,
	item_id TEXT NOT NULL,
	item_name TEXT NOT NULL,
	skill_group TEXT NOT NULL,
	slot_at BIGINT NOT NULL,
	name_masked TEXT NOT NULL,
	phone_last4 TEXT NOT NULL,
	case_id TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	request_id TEXT NOT NULL DEFAULT '',
	booked_by TEXT NOT NULL,
	booked_by_role TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
CREATE INDEX appointments_slot ON appointments (slot_at, state)
--;
CREATE INDEX appointments_station ON appointments (station_id, slot_at)
--;
-- How many bookings each slot of a group holds: booking takes a place with
-- one conditional UPDATE, so two stations can't both take the last one.
CREATE TABLE appointment_slots (
	skill_group TEXT NOT NULL,
	slot_at BIGINT NOT NULL,
	booked INTEGER NOT NULL,
	PRIMARY KEY (skill_group, slot_at)
)
