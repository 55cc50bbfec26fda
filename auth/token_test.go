package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// forge signs claims with method and key, putting kid in the header.
func forge(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign forged token: %v", err)
	}
	return s
}

// withPayload replaces a token's payload, keeping its header and signature.
func withPayload(t *testing.T, token, payload string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	return strings.Join(parts, ".")
}

func TestVerifyRefusesForgedTokens(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		s := seeded(t, db, clk)
		agent := mustLogin(t, s, "agent1", DemoPassword)
		admin := mustAccount(t, s, "admin")
		kid := s.keys.signing.kid
		pub := s.keys.signing.priv.Public().(ed25519.PublicKey)
		_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
		adminClaims := accessClaims{Role: identity.RoleAdmin, RegisteredClaims: jwt.RegisteredClaims{
			Issuer: tokenIssuer, Subject: admin.ID, ExpiresAt: jwt.NewNumericDate(clk.Now().Add(time.Hour)),
		}}
		noExpiry := adminClaims
		noExpiry.ExpiresAt = nil
		wrongIssuer := adminClaims
		wrongIssuer.Issuer = "someone-else"

		tests := []struct {
			name  string
			token string
		}{
			{"payload swapped to the admin", withPayload(t, agent.Token,
				`{"role":"admin","sub":"`+admin.ID+`","iss":"cloudwindow","exp":9999999999}`)},
			{"signed by another key under our kid", forge(t, jwt.SigningMethodEdDSA, otherKey, kid, adminClaims)},
			{"signed by another key under its own kid", forge(t, jwt.SigningMethodEdDSA, otherKey, keyID(otherKey.Public().(ed25519.PublicKey)), adminClaims)},
			{"alg none", forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, adminClaims)},
			{"HS256 keyed with our public key", forge(t, jwt.SigningMethodHS256, []byte(pub), kid, adminClaims)},
			{"HS256 keyed with the base64 public key", forge(t, jwt.SigningMethodHS256, []byte(base64.StdEncoding.EncodeToString(pub)), kid, adminClaims)},
			{"no kid", forge(t, jwt.SigningMethodEdDSA, s.keys.signing.priv, "", adminClaims)},
			{"no expiry", forge(t, jwt.SigningMethodEdDSA, s.keys.signing.priv, kid, noExpiry)},
			{"wrong issuer", forge(t, jwt.SigningMethodEdDSA, s.keys.signing.priv, kid, wrongIssuer)},
			{"not a JWT", "hello"},
			{"empty", ""},
			{"huge", strings.Repeat("a", 10000)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id, err := s.Verify(context.Background(), tt.token)
				if !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("err = %v (identity %+v), want ErrInvalidToken", err, id)
				}
			})
		}
		// The genuine token still works: the refusals above are not blanket.
		if _, err := s.Verify(context.Background(), agent.Token); err != nil {
			t.Fatalf("genuine token: %v", err)
		}
	})
}

func TestAccessTokenCarriesKidAndClaims(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		s := seeded(t, db, newClock())
		tok := mustLogin(t, s, "agent1", DemoPassword)
		var claims accessClaims
		parsed, _, err := jwt.NewParser().ParseUnverified(tok.Token, &claims)
		if err != nil {
			t.Fatal(err)
		}
		acct := mustAccount(t, s, "agent1")
		if parsed.Header["kid"] != s.keys.signing.kid || parsed.Header["alg"] != "EdDSA" {
			t.Fatalf("header = %v", parsed.Header)
		}
		if claims.Subject != acct.ID || claims.Role != identity.RoleAgent || claims.Name != "王芳" {
			t.Fatalf("claims = %+v", claims)
		}
	})
}

func TestSigningKeyIsCreatedOnceAndShared(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		a := newTestService(t, db, clk)
		b := newTestService(t, db, clk)
		if a.keys.signing.kid != b.keys.signing.kid {
			t.Fatalf("nodes sign with different keys: %s and %s", a.keys.signing.kid, b.keys.signing.kid)
		}
		var n int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM signing_keys`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("signing keys stored: %d (err %v), want 1", n, err)
		}
	})
}
