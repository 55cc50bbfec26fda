-- Sessions an account can end: every login starts a session (a refresh-token
-- family); its access and refresh tokens name it. An account's sessions
-- started before sessions_valid_after (unix ms; set on a password change, on
-- disabling and on "log out everywhere") are over.
ALTER TABLE accounts ADD COLUMN sessions_valid_after BIGINT NOT NULL DEFAULT 0
--;
CREATE TABLE login_sessions (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL DEFAULT 0
)
--;
CREATE INDEX login_sessions_account ON login_sessions (account_id, revoked_at)
--;
-- A used refresh token is kept (used_at set) until it expires, so that a
-- replay of it is recognised as theft and ends its whole session.
ALTER TABLE refresh_tokens ADD COLUMN session_id TEXT NOT NULL DEFAULT ''
--;
ALTER TABLE refresh_tokens ADD COLUMN used_at BIGINT NOT NULL DEFAULT 0
--;
-- Addresses an account has logged in from, so that a correct password from
-- one of them gets through while others are slowed down by failed guesses.
CREATE TABLE login_addresses (
	account_id TEXT NOT NULL REFERENCES accounts (id),
	address TEXT NOT NULL,
	last_login_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, address)
)
