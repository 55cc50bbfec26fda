-- The statistics' daily roll-up. stats_daily holds, per closed day (in the
-- center's time zone, "YYYY-MM-DD"), the partial figures of every group of
-- every breakdown (dim: total, station, item, category, agent), so a month
-- reads about thirty small rows per group instead of every call. The wait
-- histogram wait_hist counts answered calls per wait in tenths of a second
-- ("wait:count,…"), which is the precision the P90 is reported in, so
-- percentiles merged from days are exact. open_due counts the open cases
-- per due date ("YYYY-MM-DD:count,…"): whether they are overdue depends on
-- the day the report is read.
CREATE TABLE stats_daily (
	day TEXT NOT NULL,
	dim TEXT NOT NULL,
	key TEXT NOT NULL,
	name TEXT NOT NULL,
	name_at BIGINT NOT NULL,
	island BOOLEAN NOT NULL,
	requests INTEGER NOT NULL,
	answered INTEGER NOT NULL,
	abandoned INTEGER NOT NULL,
	answered_30s INTEGER NOT NULL,
	wait_ms BIGINT NOT NULL,
	wait_hist TEXT NOT NULL,
	handle_ms BIGINT NOT NULL,
	handled INTEGER NOT NULL,
	outcomes TEXT NOT NULL,
	ratings TEXT NOT NULL,
	bad INTEGER NOT NULL,
	bad_fixed INTEGER NOT NULL,
	bad_fixed_on_time INTEGER NOT NULL,
	overdue_closed INTEGER NOT NULL,
	open_due TEXT NOT NULL,
	PRIMARY KEY (day, dim, key)
)
--;
-- The days the roll-up holds, and the time zone they were cut in: a day
-- missing here (or cut in another zone) is computed from the records.
CREATE TABLE stats_days (
	day TEXT PRIMARY KEY,
	zone TEXT NOT NULL,
	built_at BIGINT NOT NULL
)
--;
-- Marks left by triggers whenever a record the statistics read changes:
-- at is the request time of the call concerned, so the roll-up knows which
-- day to compute again. Triggers catch every writer, whatever its code.
-- only sqlite
CREATE TABLE stats_dirty (
	id INTEGER PRIMARY KEY,
	at BIGINT NOT NULL
)
--;
-- only postgres
CREATE TABLE stats_dirty (
	id BIGSERIAL PRIMARY KEY,
	at BIGINT NOT NULL
)
--;
-- only sqlite
CREATE TRIGGER stats_dirty_call_requests_ins AFTER INSERT ON call_requests BEGIN
	INSERT INTO stats_dirty (at) VALUES (NEW.requested_at);
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_call_requests_del AFTER DELETE ON call_requests BEGIN
	INSERT INTO stats_dirty (at) VALUES (OLD.requested_at);
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_calls_ins AFTER INSERT ON calls BEGIN
	INSERT INTO stats_dirty (at) VALUES (NEW.requested_at);
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_calls_upd AFTER UPDATE ON calls BEGIN
	INSERT INTO stats_dirty (at) VALUES (NEW.requested_at);
	INSERT INTO stats_dirty (at) SELECT OLD.requested_at WHERE OLD.requested_at <> NEW.requested_at;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_calls_del AFTER DELETE ON calls BEGIN
	INSERT INTO stats_dirty (at) VALUES (OLD.requested_at);
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_cases_ins AFTER INSERT ON cases BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_cases_upd AFTER UPDATE ON cases BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id OR id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_cases_del AFTER DELETE ON cases BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_ratings_ins AFTER INSERT ON ratings BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_ratings_upd AFTER UPDATE ON ratings BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id OR id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_ratings_del AFTER DELETE ON ratings BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_rectifications_ins AFTER INSERT ON rectifications BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_rectifications_upd AFTER UPDATE ON rectifications BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id OR id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_rectifications_del AFTER DELETE ON rectifications BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_rectification_steps_ins AFTER INSERT ON rectification_steps BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_rectification_steps_upd AFTER UPDATE ON rectification_steps BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id OR id = OLD.call_id;
END
--;
-- only sqlite
CREATE TRIGGER stats_dirty_rectification_steps_del AFTER DELETE ON rectification_steps BEGIN
	INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = OLD.call_id;
END
--;
-- only postgres
CREATE FUNCTION stats_dirty_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		INSERT INTO stats_dirty (at) VALUES (OLD.requested_at);
	END IF;
	IF TG_OP <> 'DELETE' THEN
		INSERT INTO stats_dirty (at) VALUES (NEW.requested_at);
	END IF;
	RETURN NULL;
END
$$
--;
-- only postgres
CREATE FUNCTION stats_dirty_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP <> 'INSERT' THEN
		INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = OLD.call_id;
	END IF;
	IF TG_OP <> 'DELETE' THEN
		INSERT INTO stats_dirty (at) SELECT requested_at FROM calls WHERE id = NEW.call_id;
	END IF;
	RETURN NULL;
END
$$
--;
-- only postgres
CREATE TRIGGER stats_dirty AFTER INSERT OR UPDATE OR DELETE ON call_requests FOR EACH ROW EXECUTE FUNCTION stats_dirty_request()
--;
-- only postgres
CREATE TRIGGER stats_dirty AFTER INSERT OR UPDATE OR DELETE ON calls FOR EACH ROW EXECUTE FUNCTION stats_dirty_request()
--;
-- only postgres
CREATE TRIGGER stats_dirty AFTER INSERT OR UPDATE OR DELETE ON cases FOR EACH ROW EXECUTE FUNCTION stats_dirty_call()
--;
-- only postgres
CREATE TRIGGER stats_dirty AFTER INSERT OR UPDATE OR DELETE ON ratings FOR EACH ROW EXECUTE FUNCTION stats_dirty_call()
--;
-- only postgres
CREATE TRIGGER stats_dirty AFTER INSERT OR UPDATE OR DELETE ON rectifications FOR EACH ROW EXECUTE FUNCTION stats_dirty_call()
--;
-- only postgres
CREATE TRIGGER stats_dirty AFTER INSERT OR UPDATE OR DELETE ON rectification_steps FOR EACH ROW EXECUTE FUNCTION stats_dirty_call()
