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

// Refresh trades a refresh token for new tokens of the same login session.
// The token is marked used in the same statement that reads it, so it works
// exactly once even when two requests race; a used token presented again
// was stolen (or the client is broken), so its whole session ends. The new
// token keeps the old expiry: a session lasts one refresh lifetime from
// login, however often it is refreshed.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	if refreshToken == "" || len(refreshToken) > maxRefreshLen {
		return Tokens{}, fmt.Errorf("%w: malformed refresh token", ErrInvalidToken)
	}
	now := s.now()
	var accountID, sessionID string
	var expires int64
	err := s.db.QueryRow(ctx, `UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ? AND used_at = 0
		RETURNING account_id, session_id, expires_at`, store.Millis(now), hashToken(refreshToken)).
		Scan(&accountID, &sessionID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Tokens{}, s.refreshRefused(ctx, refreshToken)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	expiry := store.Time(expires)
	if !now.Before(expiry) {
		return Tokens{}, ErrExpired
	}
	if sessionID != "" {
		if _, err := s.checkSession(ctx, accountID, sessionID, time.Time{}); err != nil {
			return Tokens{}, err
		}
	}
	acct, err := loadAccount(ctx, s.db, accountID)
	if errors.Is(err, ErrNotFound) {
		return Tokens{}, fmt.Errorf("%w: account no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return Tokens{}, fmt.Errorf("refresh: %w", err)
	}
	s.cache.put(acct.ID, acct, now)
	if acct.Disabled {
		return Tokens{}, ErrDisabled
	}
	return s.issue(ctx, acct, sessionID, expiry)
}

// refreshRefused explains why a refresh token was not taken, ending its
// session if it had already been used.
func (s *Service) refreshRefused(ctx context.Context, refreshToken string) error {
	var accountID, sessionID string
	err := s.db.QueryRow(ctx, `SELECT account_id, session_id FROM refresh_tokens WHERE token_hash = ? AND used_at <> 0`,
		hashToken(refreshToken)).Scan(&accountID, &sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: refresh token unknown, revoked or expired", ErrInvalidToken)
	}
	if err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	s.opts.Logger.Warn("used refresh token presented again: ending its session", "account", accountID, "session", sessionID)
	if sessionID == "" {
		err = s.LogoutEverywhere(ctx, accountID)
	} else {
		err = s.endSession(ctx, accountID, sessionID, EndRefreshReuse)
	}
	if err != nil {
		return fmt.Errorf("refresh token reused: %w", err)
	}
	return fmt.Errorf("%w: refresh token already used; its session has been ended", ErrInvalidToken)
}

// Logout ends the login session of a refresh token: its tokens are refused
// and its socket closed. Logging out with an unknown token is not an error:
// the caller wanted it gone and it is.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	if refreshToken == "" || len(refreshToken) > maxRefreshLen {
		return nil
	}
	var accountID, sessionID string
	err := s.db.QueryRow(ctx, `SELECT account_id, session_id FROM refresh_tokens WHERE token_hash = ?`,
		hashToken(refreshToken)).Scan(&accountID, &sessionID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if sessionID == "" {
		if _, err := s.db.Exec(ctx, `DELETE FROM refresh_tokens WHERE token_hash = ?`, hashToken(refreshToken)); err != nil {
			return fmt.Errorf("logout: %w", err)
		}
		return nil
	}
	return s.endSession(ctx, accountID, sessionID, EndLogout)
}

// issue signs an access token and stores a new refresh token valid until
// refreshExpiry, in login session sessionID (a new one when empty),
// sweeping the account's expired tokens and sessions on the way.
func (s *Service) issue(ctx context.Context, acct Account, sessionID string, refreshExpiry time.Time) (Tokens, error) {
	now := s.now()
	refresh := newRefreshToken()
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := sweepExpired(ctx, tx, acct.ID, now); err != nil {
			return err
		}
		if sessionID == "" {
			var err error
			if sessionID, err = startSession(ctx, tx, acct.ID, now, refreshExpiry); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO refresh_tokens (token_hash, account_id, session_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)`,
			hashToken(refresh), acct.ID, sessionID, store.Millis(refreshExpiry), store.Millis(now))
		return err
	})
	if err != nil {
		return Tokens{}, fmt.Errorf("store refresh token for %s: %w", acct.Username, err)
	}
	exp := now.Add(s.opts.AccessTTL)
	access, err := s.keys.signAccess(acct, sessionID, now, exp)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{
		Token:            access,
		RefreshToken:     refresh,
		Role:             acct.Role,
		ExpiresAt:        exp.Truncate(time.Second),
		RefreshExpiresAt: refreshExpiry,
	}, nil
}

// sweepExpired deletes an account's expired refresh tokens and sessions.
func sweepExpired(ctx context.Context, tx *store.Tx, accountID string, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE account_id = ? AND expires_at <= ?`,
		accountID, store.Millis(now)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM login_sessions WHERE account_id = ? AND expires_at <= ?`,
		accountID, store.Millis(now))
	return err
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
