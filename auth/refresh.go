package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"cloudwindow/store"
)

// maxRefreshLen bounds what is hashed; ours are 43 characters.
const maxRefreshLen = 128

// Refresh trades a refresh token for new tokens. The old refresh token is
// deleted in the same statement that reads it, so it works exactly once even
// when two requests race. The new one keeps the old expiry: a session lasts
// one refresh lifetime from login, however often it is refreshed.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	if refreshToken == "" || len(refreshToken) > maxRefreshLen {
		return Tokens{}, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	var accountID string
	var expires int64
	err := s.db.QueryRow(ctx, `DELETE FROM refresh_tokens WHERE token_hash = ? RETURNING account_id, expires_at`,
		hashToken(refreshToken)).Scan(&accountID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Tokens{}, fmt.Errorf("%w: refresh token unknown, revoked or already used", ErrInvalidToken)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	now := s.now()
	expiry := store.Time(expires)
	if !now.Before(expiry) {
		return Tokens{}, ErrExpired
	}
	acct, err := loadAccount(ctx, s.db, accountID)
	if errors.Is(err, ErrNotFound) {
		return Tokens{}, fmt.Errorf("%w: account no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	s.cache.put(acct, now)
	if acct.Disabled {
		return Tokens{}, ErrDisabled
	}
	return s.issue(ctx, acct, expiry)
}

// Logout revokes a refresh token. Revoking an unknown token is not an error:
// the caller wanted it gone and it is.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	if refreshToken == "" || len(refreshToken) > maxRefreshLen {
		return nil
	}
	if _, err := s.db.Exec(ctx, `DELETE FROM refresh_tokens WHERE token_hash = ?`, hashToken(refreshToken)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// issue signs an access token and stores a new refresh token valid until
// refreshExpiry, sweeping the account's expired ones on the way.
func (s *Service) issue(ctx context.Context, acct Account, refreshExpiry time.Time) (Tokens, error) {
	now := s.now()
	exp := now.Add(s.opts.AccessTTL)
	access, err := s.keys.signAccess(acct, now, exp)
	if err != nil {
		return Tokens{}, err
	}
	refresh := newRefreshToken()
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE account_id = ? AND expires_at <= ?`,
			acct.ID, store.Millis(now)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, account_id, expires_at, created_at) VALUES (?, ?, ?, ?)`,
			hashToken(refresh), acct.ID, store.Millis(refreshExpiry), store.Millis(now))
		return err
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("store refresh token for %s: %w", acct.Username, err)
	}
	return Tokens{
		Token:            access,
		RefreshToken:     refresh,
		Role:             acct.Role,
		ExpiresAt:        exp.Truncate(time.Second),
		RefreshExpiresAt: refreshExpiry,
	}, nil
}

// revokeRefreshTokens ends every session of an account.
func revokeRefreshTokens(ctx context.Context, tx *store.Tx, accountID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("revoke refresh tokens of %s: %w", accountID, err)
	}
	return nil
}

func newRefreshToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is the stored form of a refresh token. The token is 256 random
// bits, so a plain SHA-256 is enough: there is nothing to brute-force.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
