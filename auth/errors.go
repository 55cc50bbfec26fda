package auth

import (
	"errors"
	"fmt"
	"time"
)

// Errors callers tell apart with errors.Is. Their messages are shown to
// users, so they say what went wrong without revealing which accounts exist.
var (
	ErrInvalidToken   = errors.New("invalid token")
	ErrExpired        = errors.New("token expired")
	ErrDisabled       = errors.New("account disabled")
	ErrBadCredentials = errors.New("wrong username or password")
	ErrNotFound       = errors.New("account not found")
	ErrUsernameTaken  = errors.New("username already taken")
	ErrLastAdmin      = errors.New("cannot disable the last enabled admin")
	// ErrSessionEnded refuses a token whose login session was ended (logout,
	// password change, disabling, refresh-token reuse). It is an
	// ErrInvalidToken too.
	ErrSessionEnded = fmt.Errorf("%w: the session has ended, sign in again", ErrInvalidToken)
)

// RateLimitError refuses a login after too many failures.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many failed logins, try again in %d seconds", retrySeconds(e.RetryAfter))
}

// RetrySeconds is RetryAfter rounded up to whole seconds, as sent in the
// Retry-After header.
func (e *RateLimitError) RetrySeconds() int { return retrySeconds(e.RetryAfter) }

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// ValidationError rejects bad input before anything is changed.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
