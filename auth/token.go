package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	tokenIssuer = "cloudwindow"
	// maxTokenLen bounds the work spent on a token before its signature is
	// checked; ours are a few hundred bytes.
	maxTokenLen = 4096
)

// accessClaims is the payload of an access token. Verify trusts only sub;
// role and name are there for clients to read without asking the server.
type accessClaims struct {
	Role Role   `json:"role"`
	Name string `json:"name"`
	jwt.RegisteredClaims
}

// signAccess issues an access token for acct valid until exp.
func (k *keyring) signAccess(acct Account, now, exp time.Time) (string, error) {
	claims := accessClaims{
		Role: acct.Role,
		Name: acct.DisplayName,
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
// returns the account id it was issued to.
func (k *keyring) parseAccess(ctx context.Context, token string, now func() time.Time) (string, error) {
	if len(token) > maxTokenLen {
		return "", fmt.Errorf("%w: too long", ErrInvalidToken)
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
		return claims.Subject, nil
	case err == nil:
		return "", fmt.Errorf("%w: no subject", ErrInvalidToken)
	case errors.Is(err, jwt.ErrTokenExpired):
		return "", ErrExpired
	case lookupErr != nil && !errors.Is(lookupErr, ErrInvalidToken):
		return "", lookupErr // the store failed; the token may be fine
	default:
		return "", fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
}
