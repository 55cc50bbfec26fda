-- Each station's link. profile is what an admin set: standard, or
-- low_bandwidth for island and thin rural links, whose kiosks start their
-- encoders low instead of probing down from high. The check_* columns hold
-- the kiosk's last pre-call network check (checked_at 0: none yet); times
-- are Unix milliseconds, loss in tenths of a percent.
CREATE TABLE station_links (
	station_id TEXT PRIMARY KEY REFERENCES accounts (id),
	profile TEXT NOT NULL DEFAULT 'standard',
	checked_at BIGINT NOT NULL DEFAULT 0,
	check_rtt_ms INTEGER NOT NULL DEFAULT 0,
	check_loss_permille INTEGER NOT NULL DEFAULT 0,
	check_down_kbps INTEGER NOT NULL DEFAULT 0,
	check_up_kbps INTEGER NOT NULL DEFAULT 0
)
--;
-- The station's link during a call, sampled from the media server's own
-- figures (RTCP round trip and loss, bandwidth estimate) for the review.
CREATE TABLE call_link_samples (
	call_id TEXT NOT NULL,
	at BIGINT NOT NULL,
	party TEXT NOT NULL,
	rtt_ms INTEGER NOT NULL,
	loss_permille INTEGER NOT NULL,
	bitrate_kbps INTEGER NOT NULL,
	quality TEXT NOT NULL
)
--;
CREATE INDEX call_link_samples_call ON call_link_samples (call_id, at)
