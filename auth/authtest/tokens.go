// Package authtest stands in for the auth service in tests of packages
// that serve authorised endpoints.
package authtest

import (
	"context"
	"errors"

	"cloudwindow/auth"
	"cloudwindow/identity"
)

// Tokens verifies a token by looking it up: token → identity.
type Tokens map[string]identity.Identity

// Verify returns the identity of token, or an error for an unknown one.
func (t Tokens) Verify(_ context.Context, token string) (identity.Identity, error) {
	id, ok := t[token]
	if !ok {
		return identity.Identity{}, errors.New("unknown token")
	}
	return id, nil
}

// Active reports every known account as enabled.
func (t Tokens) Active(_ context.Context, accountID string) error {
	for _, id := range t {
		if id.AccountID == accountID {
			return nil
		}
	}
	return auth.ErrNotFound
}
