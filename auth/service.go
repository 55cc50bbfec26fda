package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"cloudwindow/store"
)

// Defaults for Options, and the fixed limits of login and verification.
const (
	DefaultAccessTTL         = 15 * time.Minute
	DefaultRefreshTTL        = 12 * time.Hour
	DefaultStationRefreshTTL = 30 * 24 * time.Hour

	// accountCacheTTL bounds how long a disabled account's access tokens
	// keep working on a node that has not seen the change.
	accountCacheTTL  = 30 * time.Second
	accountCacheSize = 10000

	// A username is locked after a few wrong passwords; a remote address
	// gets more room because a service center's agents share one.
	userFailureLimit = 5
	addrFailureLimit = 20
	failureSpan      = 5 * time.Minute
	limiterSize      = 10000
)

// Options configures a Service; zero fields take the defaults.
type Options struct {
	AccessTTL         time.Duration // access token lifetime
	RefreshTTL        time.Duration // refresh token lifetime for people
	StationRefreshTTL time.Duration // refresh token lifetime for station devices
	Now               func() time.Time
	BcryptCost        int // bcrypt.DefaultCost when 0; tests lower it
}

func (o Options) withDefaults() Options {
	if o.AccessTTL <= 0 {
		o.AccessTTL = DefaultAccessTTL
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = DefaultRefreshTTL
	}
	if o.StationRefreshTTL <= 0 {
		o.StationRefreshTTL = DefaultStationRefreshTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Service logs accounts in, issues and verifies their tokens, and manages
// the accounts themselves. It is safe for concurrent use.
type Service struct {
	db        *store.DB
	opts      Options
	keys      *keyring
	hasher    *hasher
	cache     *accountCache
	userLimit *loginLimiter
	addrLimit *loginLimiter
}

// NewService loads the signing key from db, creating it on the first start.
func NewService(db *store.DB, opts Options) (*Service, error) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys, err := loadKeyring(ctx, db, opts.Now())
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	h, err := newHasher(opts.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Service{
		db:        db,
		opts:      opts,
		keys:      keys,
		hasher:    h,
		cache:     newAccountCache(accountCacheTTL, accountCacheSize),
		userLimit: newLoginLimiter(userFailureLimit, failureSpan, limiterSize),
		addrLimit: newLoginLimiter(addrFailureLimit, failureSpan, limiterSize),
	}, nil
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Tokens is what a login or refresh hands to the client.
type Tokens struct {
	Token            string    `json:"token"`
	RefreshToken     string    `json:"refresh_token"`
	Role             Role      `json:"role"`
	ExpiresAt        time.Time `json:"expires_at"`
	RefreshExpiresAt time.Time `json:"refresh_expires_at"`
}

// Login checks a username and password (a station's device id and secret)
// and issues tokens. Unknown users and wrong passwords get the same error
// after the same work; a disabled account is refused only once its password
// is right, so the refusal reveals nothing to a guesser.
func (s *Service) Login(ctx context.Context, username, password, remoteAddr string) (Tokens, error) {
	username = normalizeUsername(username)
	now := s.now()
	if err := s.checkLoginRate(username, remoteAddr, now); err != nil {
		return Tokens{}, err
	}
	acct, hash, err := s.accountWithHash(ctx, username)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Tokens{}, fmt.Errorf("login: %w", err)
	}
	if !s.hasher.check(hash, password) {
		s.userLimit.fail(username, now)
		if remoteAddr != "" {
			s.addrLimit.fail(remoteAddr, now)
		}
		slog.Info("login failed", "username", username, "remote", remoteAddr)
		return Tokens{}, ErrBadCredentials
	}
	s.userLimit.reset(username)
	if acct.Disabled {
		slog.Info("login refused for disabled account", "username", username, "remote", remoteAddr)
		return Tokens{}, ErrDisabled
	}
	s.cache.put(acct, now)
	return s.issue(ctx, acct, now.Add(s.refreshTTL(acct.Role)))
}

func (s *Service) checkLoginRate(username, remoteAddr string, now time.Time) error {
	wait := s.userLimit.blocked(username, now)
	if remoteAddr != "" {
		wait = max(wait, s.addrLimit.blocked(remoteAddr, now))
	}
	if wait > 0 {
		return &RateLimitError{RetryAfter: wait}
	}
	return nil
}

func (s *Service) refreshTTL(r Role) time.Duration {
	if r == RoleStation {
		return s.opts.StationRefreshTTL
	}
	return s.opts.RefreshTTL
}

// Verify checks an access token and returns the identity behind it: the
// signature by one of the cluster's keys, the EdDSA algorithm, the expiry,
// and that the account still exists and is enabled.
func (s *Service) Verify(ctx context.Context, token string) (Identity, error) {
	id, err := s.keys.parseAccess(ctx, token, s.now)
	if err != nil {
		return Identity{}, err
	}
	acct, err := s.cachedAccount(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Identity{}, fmt.Errorf("%w: account no longer exists", ErrInvalidToken)
	}
	if err != nil {
		return Identity{}, fmt.Errorf("verify token: %w", err)
	}
	if acct.Disabled {
		return Identity{}, ErrDisabled
	}
	return acct.Identity(), nil
}

// Active reports whether a signed-in account may go on: long-lived sessions
// (signaling WebSockets) ask it periodically, so that disabling an account
// ends them as it ends its tokens.
func (s *Service) Active(ctx context.Context, accountID string) error {
	acct, err := s.cachedAccount(ctx, accountID)
	if err != nil {
		return fmt.Errorf("check account: %w", err)
	}
	if acct.Disabled {
		return ErrDisabled
	}
	return nil
}

func (s *Service) cachedAccount(ctx context.Context, id string) (Account, error) {
	now := s.now()
	if a, ok := s.cache.get(id, now); ok {
		return a, nil
	}
	a, err := loadAccount(ctx, s.db, id)
	if err != nil {
		return Account{}, err
	}
	s.cache.put(a, now)
	return a, nil
}
