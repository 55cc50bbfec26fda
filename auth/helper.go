package auth

import (
	"context"
	"errors"
	"fmt"

	"cloudwindow/identity"
)

// A station helper (代办员) signs in on a kiosk with their account and PIN,
// to be recorded as acting for the resident in that kiosk's call. The PIN
// is the account's password; it opens nothing else: a helper's login at
// /api/v1/auth/login is refused (see Login), and a kiosk's check issues no
// token. Failures slow down further tries exactly as logins do, counted per
// helper account and kiosk.

// CheckHelper checks a helper's username and PIN typed on the kiosk
// stationID and returns the helper's identity. Unknown users, wrong PINs
// and accounts that are not helpers get the same ErrBadCredentials.
func (s *Service) CheckHelper(ctx context.Context, username, pin, stationID string) (identity.Identity, error) {
	username = normalizeUsername(username)
	now := s.now()
	where := "station:" + stationID
	pair := "p\x00" + username + "\x00" + where
	wait := max(s.limiter.blocked(pair, now), s.limiter.blocked("a\x00"+where, now), s.limiter.blocked("u\x00"+username, now))
	if wait > 0 {
		return identity.Identity{}, &RateLimitError{RetryAfter: wait}
	}
	acct, hash, err := s.accountWithHash(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return identity.Identity{}, fmt.Errorf("check helper %s: %w", username, err)
	}
	if acct.Role != identity.RoleHelper {
		hash = nil // same work and answer as an unknown user
	}
	if !s.hasher.check(hash, pin) {
		s.loginFailed(pair, username, where, now)
		return identity.Identity{}, ErrBadCredentials
	}
	s.limiter.reset(pair)
	if acct.Disabled {
		return identity.Identity{}, ErrDisabled
	}
	return acct.Identity(), nil
}
