package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"cloudwindow/identity"
)

const (
	tokenIssuer = "cloudwindow"
	// maxTokenLen bounds the work spent on a token before its signature is
	// checked; ours are a few hundred bytes.
	maxTokenLen = 4096
)

// accessClaims is the payload of an access token. Verify trusts only sub,
// sid and iat; role and name are there for clients to read without asking
// the server.
type accessClaims struct {
	Role    identity.Role `json:"role"`
	Name    string        `json:"name"`
	Session string        `json:"sid,omitempty"` // the login session
	jwt.RegisteredClaims
}

// signAccess issues an access token for acct's login session valid until exp.
func (k *keyring) signAccess(acct Account, sessionID string, now, exp time.Time) (string, error) {
	claims := accessClaims{
		Role:    acct.Role,
		Name:    acct.DisplayName,
		Session: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   acct.ID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = k.signing.kid
	signed, err := tok.SignedString(k.signing.priv)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return signed, nil
}

// parseAccess checks a token's signature, algorithm, issuer and expiry and
// returns its claims, which name the account it was issued to.
func (k *keyring) parseAccess(ctx context.Context, token string, now func() time.Time) (accessClaims, error) {
	if len(token) > maxTokenLen {
		return accessClaims{}, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	var lookupErr error
	keyFunc := func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" || len(kid) > 64 {
			return nil, errors.New("missing key id")
		}
		pub, err := k.publicKey(ctx, kid)
		lookupErr = err
		return pub, err
	}
	var claims accessClaims
	_, err := jwt.ParseWithClaims(token, &claims, keyFunc,
		// Pinning the algorithm refuses "none" and HS256 signed with the
		// public key, whatever the token header claims.
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(now),
	)
	switch {
	case err == nil && claims.Subject != "":
		return claims, nil
	case err == nil:
		return accessClaims{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenExpired):
		return accessClaims{}, ErrExpired
	case lookupErr != nil && !errors.Is(lookupErr, ErrInvalidToken):
		return accessClaims{}, lookupErr // the store failed; the token may be fine
	default:
		return accessClaims{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
}
