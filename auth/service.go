// Package auth holds accounts (people and station devices), password
// hashing, login with rate limiting, and the signed tokens every HTTP request
// and WebSocket session presents.
package auth

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"cloudwindow/identity"
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

	limiterSize = 10000
)

// Options configures a Service; zero fields take the defaults.
type Options struct {
	AccessTTL         time.Duration // access token lifetime
	RefreshTTL        time.Duration // refresh token lifetime for people
	StationRefreshTTL time.Duration // refresh token lifetime for station devices
	Now               func() time.Time
	BcryptCost        int // bcrypt.DefaultCost when 0; tests lower it
	LoginLimits       LoginLimits
	// KeyEncryptionKeys encrypt the token signing keys in the store: the
	// first encrypts, the others only decrypt (key rotation). Without any,
	// signing keys are stored in plain text.
	KeyEncryptionKeys []KeyEncryptionKey
	// OnSessionsEnded is told when sessions end (logout, password change,
	// disabling, refresh-token reuse), after the change is stored, so that
	// live sockets on every node can be closed.
	OnSessionsEnded func(SessionsEnded)
	Registerer      prometheus.Registerer // for the login lock-out counter; may be nil
	Logger          *slog.Logger          // nil: logs nowhere
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
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.LoginLimits = o.LoginLimits.withDefaults()
	return o
}

// Service logs accounts in, issues and verifies their tokens, and manages
// the accounts themselves. It is safe for concurrent use.
type Service struct {
	db       *store.DB
	opts     Options
	keys     *keyring
	hasher   *hasher
	cache    *ttlCache[Account]
	sessions *ttlCache[loginSession]
	limiter  *loginLimiter
	lockouts *prometheus.CounterVec
}

// NewService loads the signing key from db, creating it on the first start.
func NewService(db *store.DB, opts Options) (*Service, error) {
	opts = opts.withDefaults()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	keys, err := loadKeyring(ctx, db, opts.KeyEncryptionKeys, opts.Now(), opts.Logger)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	h, err := newHasher(opts.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	return &Service{
		db:       db,
		opts:     opts,
		keys:     keys,
		hasher:   h,
		cache:    newTTLCache[Account](accountCacheTTL, accountCacheSize),
		sessions: newTTLCache[loginSession](accountCacheTTL, accountCacheSize),
		limiter:  newLoginLimiter(opts.LoginLimits, limiterSize),
		lockouts: newLockoutCounter(opts.Registerer),
	}, nil
}

func (s *Service) now() time.Time { return s.opts.Now() }

// Tokens is what a login or refresh hands to the client.
type Tokens struct {
	Token            string        `json:"token"`
	RefreshToken     string        `json:"refresh_token"`
	Role             identity.Role `json:"role"`
	ExpiresAt        time.Time     `json:"expires_at"`
	RefreshExpiresAt time.Time     `json:"refresh_expires_at"`
}

func (s *Service) refreshTTL(r identity.Role) time.Duration {
	if r == identity.RoleStation {
		return s.opts.StationRefreshTTL
	}
	return s.opts.RefreshTTL
}

// Verify checks an access token and returns the identity behind it: the
// signature by one of the cluster's keys, the EdDSA algorithm, the expiry,
// that the account still exists and is enabled, and that its login session
// has not ended.
func (s *Service) Verify(ctx context.Context, token string) (identity.Identity, error) {
	c, err := s.keys.parseAccess(ctx, token, s.now)
	if err != nil {
		return identity.Identity{}, err
	}
	var issued time.Time
	if c.IssuedAt != nil {
		issued = c.IssuedAt.Time
	}
	return s.checkSession(ctx, c.Subject, c.Session, issued)
}

// Active reports whether an account is still enabled, for grants that
// outlive a token (recording play tickets). Signaling sockets ask
// ActiveSession, which also checks their login session.
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
	s.cache.put(id, a, now)
	return a, nil
}
