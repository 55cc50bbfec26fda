package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// A login session starts at each login and lasts as long as its refresh
// tokens: every token issued from it names it. Ending it refuses its access
// tokens and its refresh token at once, and closes its live socket.

// Why sessions end, as told to SessionsEnded listeners.
const (
	EndLogout           = "logout"
	EndLogoutEverywhere = "logout_everywhere"
	EndPasswordChanged  = "password_changed"
	EndDisabled         = "disabled"
	EndRefreshReuse     = "refresh_token_reused"
)

// SessionsEnded says that sessions of an account are over: one session, or
// every session started so far when Session is empty.
type SessionsEnded struct {
	AccountID string `json:"account_id"`
	Session   string `json:"session,omitempty"`
	Reason    string `json:"reason"`
}

// loginSession is a stored login session, as Verify needs it.
type loginSession struct {
	accountID string
	created   time.Time
	revoked   bool
}

func loadSession(ctx context.Context, q rowQuerier, id string) (loginSession, error) {
	var ls loginSession
	var created, revoked int64
	err := q.QueryRow(ctx, `SELECT account_id, created_at, revoked_at FROM login_sessions WHERE id = ?`, id).
		Scan(&ls.accountID, &created, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return loginSession{}, ErrSessionEnded
	}
	if err != nil {
		return loginSession{}, fmt.Errorf("load session %s: %w", id, err)
	}
	ls.created, ls.revoked = store.Time(created), revoked != 0
	return ls, nil
}

// startSession stores a new login session of acct lasting until expires.
func startSession(ctx context.Context, tx *store.Tx, accountID string, now, expires time.Time) (string, error) {
	id := uuid.NewString()
	_, err := tx.Exec(ctx, `INSERT INTO login_sessions (id, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		id, accountID, store.Millis(now), store.Millis(expires))
	if err != nil {
		return "", fmt.Errorf("start session of %s: %w", accountID, err)
	}
	return id, nil
}

// checkSession decides whether a token of session sessionID issued to
// accountID at issued (zero: unknown) still stands, returning the account's
// identity.
func (s *Service) checkSession(ctx context.Context, accountID, sessionID string, issued time.Time) (identity.Identity, error) {
	acct, err := s.cachedAccount(ctx, accountID)
	if errors.Is(err, ErrNotFound) {
		return identity.Identity{}, fmt.Errorf("%w: account no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return identity.Identity{}, fmt.Errorf("check session: %w", err)
	}
	if acct.Disabled {
		return identity.Identity{}, ErrDisabled
	}
	if sessionID == "" {
		// A token from before sessions existed: only its issue time tells.
		if !issued.IsZero() && issued.Before(acct.sessionsValidAfter) {
			return identity.Identity{}, ErrSessionEnded
		}
		return acct.Identity(), nil
	}
	ls, err := s.cachedSession(ctx, sessionID)
	if err != nil {
		return identity.Identity{}, err
	}
	if ls.accountID != accountID {
		return identity.Identity{}, fmt.Errorf("%w: session of another account", ErrInvalidToken)
	}
	// A session started in the same millisecond as the change is over too.
	if ls.revoked || !acct.sessionsValidAfter.IsZero() && !ls.created.After(acct.sessionsValidAfter) {
		return identity.Identity{}, ErrSessionEnded
	}
	id := acct.Identity()
	id.Session = sessionID
	return id, nil
}

// ActiveSession reports whether a signed-in socket may go on: its account
// enabled and its login session not ended. Signaling asks it periodically,
// behind the SessionsEnded notifications that normally end sockets at once.
func (s *Service) ActiveSession(ctx context.Context, id identity.Identity) error {
	s.Forget(SessionsEnded{AccountID: id.AccountID, Session: id.Session}) // read afresh
	_, err := s.checkSession(ctx, id.AccountID, id.Session, time.Time{})
	return err
}

func (s *Service) cachedSession(ctx context.Context, id string) (loginSession, error) {
	now := s.now()
	if ls, ok := s.sessions.get(id, now); ok {
		return ls, nil
	}
	ls, err := loadSession(ctx, s.db, id)
	if err != nil {
		return loginSession{}, err
	}
	s.sessions.put(id, ls, now)
	return ls, nil
}

// LogoutEverywhere ends every session of an account: its tokens are
// refused and its sockets closed.
func (s *Service) LogoutEverywhere(ctx context.Context, accountID string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		return endAllSessions(ctx, tx, accountID, s.now())
	})
	if err != nil {
		return fmt.Errorf("log %s out everywhere: %w", accountID, err)
	}
	s.ended(SessionsEnded{AccountID: accountID, Reason: EndLogoutEverywhere})
	return nil
}

// endAllSessions sets the account's "sessions valid after" time and drops
// its refresh tokens.
func endAllSessions(ctx context.Context, tx *store.Tx, accountID string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE accounts SET sessions_valid_after = ? WHERE id = ?`, store.Millis(now), accountID)
	if err != nil {
		return fmt.Errorf("end sessions of %s: %w", accountID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("revoke refresh tokens of %s: %w", accountID, err)
	}
	return nil
}

// endSession ends one login session and its refresh tokens.
func (s *Service) endSession(ctx context.Context, accountID, sessionID, reason string) error {
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE login_sessions SET revoked_at = ? WHERE id = ? AND revoked_at = 0`,
			store.Millis(s.now()), sessionID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM refresh_tokens WHERE session_id = ?`, sessionID)
		return err
	})
	if err != nil {
		return fmt.Errorf("end session %s: %w", sessionID, err)
	}
	s.ended(SessionsEnded{AccountID: accountID, Session: sessionID, Reason: reason})
	return nil
}

// ended forgets what this node cached about the ended sessions and tells
// the listener, which ends live sockets on every node.
func (s *Service) ended(e SessionsEnded) {
	s.Forget(e)
	s.opts.Logger.Info("sessions ended", "account", e.AccountID, "session", e.Session, "reason", e.Reason)
	if s.opts.OnSessionsEnded != nil {
		s.opts.OnSessionsEnded(e)
	}
}

// Forget drops what this node cached about the ended sessions, so that
// their tokens are refused at once; nodes call it when another node ended
// them.
func (s *Service) Forget(e SessionsEnded) {
	s.cache.forget(e.AccountID)
	if e.Session != "" {
		s.sessions.forget(e.Session)
	}
}
