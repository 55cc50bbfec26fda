-- The per-station daily upload quota sums a station's uploads of the last
-- 24 hours.
CREATE INDEX uploads_station_created ON uploads (station_id, created_at)
