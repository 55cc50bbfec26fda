-- Accounts: people (agents, supervisors, admins) and station devices. A
-- station's username is its device id and its password the device secret.
-- skills is a JSON array of skill-group ids.
CREATE TABLE accounts (
	id TEXT PRIMARY KEY,
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	role TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	disabled BOOLEAN NOT NULL DEFAULT FALSE,
	skills TEXT NOT NULL DEFAULT '[]',
	generalist BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
)
--;
CREATE INDEX accounts_role ON accounts (role, username)
--;
-- The site details of an account of role station.
CREATE TABLE stations (
	account_id TEXT PRIMARY KEY REFERENCES accounts (id),
	name TEXT NOT NULL,
	region TEXT NOT NULL,
	island BOOLEAN NOT NULL DEFAULT FALSE
)
--;
-- Ed25519 keys that sign access tokens, shared by every node of a cluster.
-- private_key is the base64 of the 32-byte seed.
CREATE TABLE signing_keys (
	kid TEXT PRIMARY KEY,
	private_key TEXT NOT NULL,
	created_at BIGINT NOT NULL
)
--;
-- Refresh tokens are stored only as their SHA-256, so a leaked table grants
-- nothing; a row is deleted when the token is used, revoked or expired.
CREATE TABLE refresh_tokens (
	token_hash TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL
)
--;
CREATE INDEX refresh_tokens_account ON refresh_tokens (account_id)
