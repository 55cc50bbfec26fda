package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// Lock-out scopes, the label of the lock-out counter.
const (
	scopeAccountAddress = "account_address"
	scopeAddress        = "address"
	scopeAccount        = "account"
)

func newLockoutCounter(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudwindow_login_lockouts_total",
		Help: "Times failed logins made a login wait, by scope (account_address, address, account).",
	}, []string{"scope"})
	if reg != nil {
		reg.MustRegister(c)
	}
	return c
}

// Login checks a username and password (a station's device id and secret)
// from remoteAddr and issues tokens of a new login session. Unknown users
// and wrong passwords get the same error after the same work; a disabled
// account is refused only once its password is right, so the refusal
// reveals nothing to a guesser. Failed logins slow down further tries as
// LoginLimits says.
func (s *Service) Login(ctx context.Context, username, password, remoteAddr string) (Tokens, error) {
	username = normalizeUsername(username)
	now := s.now()
	pair := "p\x00" + username + "\x00" + remoteAddr
	if wait := s.limiter.blocked(pair, now); wait > 0 {
		return Tokens{}, &RateLimitError{RetryAfter: wait}
	}
	acct, hash, err := s.accountWithHash(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	known, err := s.knownAddress(ctx, acct.ID, remoteAddr)
	if err != nil {
		return Tokens{}, err
	}
	if !known {
		wait := max(s.limiter.blocked("a\x00"+remoteAddr, now), s.limiter.blocked("u\x00"+username, now))
		if wait > 0 {
			return Tokens{}, &RateLimitError{RetryAfter: wait}
		}
	}
	if acct.Role == identity.RoleHelper {
		hash = nil // a helper's PIN signs in on a kiosk only (CheckHelper)
	}
	if !s.hasher.check(hash, password) {
		s.loginFailed(pair, username, remoteAddr, now)
		return Tokens{}, ErrBadCredentials
	}
	s.limiter.reset(pair)
	if acct.Disabled {
		s.opts.Logger.Info("login refused for disabled account", "username", username, "remote", remoteAddr)
		return Tokens{}, ErrDisabled
	}
	if err := s.rememberAddress(ctx, acct.ID, remoteAddr, now); err != nil {
		return Tokens{}, err
	}
	s.cache.put(acct.ID, acct, now)
	return s.issue(ctx, acct, "", now.Add(s.refreshTTL(acct.Role)))
}

// loginFailed counts a failure against the pair, the address and the
// account, and counts the lock-outs it starts.
func (s *Service) loginFailed(pair, username, remoteAddr string, now time.Time) {
	wide := s.opts.LoginLimits.WideFailures
	for _, k := range []struct {
		key, scope string
		free       int
	}{
		{pair, scopeAccountAddress, s.opts.LoginLimits.Failures},
		{"a\x00" + remoteAddr, scopeAddress, wide},
		{"u\x00" + username, scopeAccount, wide},
	} {
		if s.limiter.fail(k.key, k.free, now) {
			s.lockouts.WithLabelValues(k.scope).Inc()
		}
	}
	s.opts.Logger.Info("login failed", "username", username, "remote", remoteAddr)
}

// knownAddress reports whether the account has logged in from addr before.
func (s *Service) knownAddress(ctx context.Context, accountID, addr string) (bool, error) {
	if accountID == "" || addr == "" {
		return false, nil
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM login_addresses WHERE account_id = ? AND address = ?`, accountID, addr).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("login: known addresses: %w", err)
	}
	return n > 0, nil
}

// maxLoginAddresses bounds the addresses remembered per account; the ones
// used longest ago go first.
const maxLoginAddresses = 20

// rememberAddress notes a successful login of the account from addr.
func (s *Service) rememberAddress(ctx context.Context, accountID, addr string, now time.Time) error {
	if addr == "" {
		return nil
	}
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO login_addresses (account_id, address, last_login_at) VALUES (?, ?, ?)
			ON CONFLICT (account_id, address) DO UPDATE SET last_login_at = excluded.last_login_at`,
			accountID, addr, store.Millis(now))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM login_addresses WHERE account_id = ? AND address NOT IN
			(SELECT address FROM login_addresses WHERE account_id = ? ORDER BY last_login_at DESC LIMIT ?)`,
			accountID, accountID, maxLoginAddresses)
		return err
	})
	if err != nil {
		return fmt.Errorf("login: remember address: %w", err)
	}
	return nil
}
