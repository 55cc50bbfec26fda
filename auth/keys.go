package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloudwindow/store"
)

// signingKey is the key this node signs access tokens with.
type signingKey struct {
	kid  string
	priv ed25519.PrivateKey
}

// keyring holds the token keys, which live in the store so that every node
// of a cluster signs with the same key and verifies every node's tokens.
type keyring struct {
	db      *store.DB
	signing signingKey

	mu     sync.RWMutex
	public map[string]ed25519.PublicKey // by kid; only keys found in the store
}

// loadKeyring picks the oldest stored key for signing, creating one on the
// first start. Nodes starting together may each insert a key; choosing the
// oldest afterwards makes them agree.
func loadKeyring(ctx context.Context, db *store.DB, now time.Time) (*keyring, error) {
	k := &keyring{db: db, public: map[string]ed25519.PublicKey{}}
	key, err := k.oldest(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		if err := k.create(ctx, now); err != nil {
			return nil, err
		}
		key, err = k.oldest(ctx)
	}
	if err != nil {
		return nil, err
	}
	k.signing = key
	k.public[key.kid] = key.priv.Public().(ed25519.PublicKey)
	return k, nil
}

func (k *keyring) oldest(ctx context.Context) (signingKey, error) {
	var kid, encoded string
	err := k.db.QueryRow(ctx, `SELECT kid, private_key FROM signing_keys ORDER BY created_at, kid LIMIT 1`).Scan(&kid, &encoded)
	if err != nil {
		return signingKey{}, fmt.Errorf("load signing key: %w", err)
	}
	priv, err := decodeKey(encoded)
	if err != nil {
		return signingKey{}, fmt.Errorf("signing key %s: %w", kid, err)
	}
	return signingKey{kid: kid, priv: priv}, nil
}

func (k *keyring) create(ctx context.Context, now time.Time) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	_, err = k.db.Exec(ctx, `INSERT INTO signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
		keyID(pub), base64.StdEncoding.EncodeToString(priv.Seed()), store.Millis(now))
	if err != nil {
		return fmt.Errorf("store signing key: %w", err)
	}
	return nil
}

// publicKey finds the key a token names in its kid header.
func (k *keyring) publicKey(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	k.mu.RLock()
	pub, ok := k.public[kid]
	k.mu.RUnlock()
	if ok {
		return pub, nil
	}
	var encoded string
	err := k.db.QueryRow(ctx, `SELECT private_key FROM signing_keys WHERE kid = ?`, kid).Scan(&encoded)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: unknown signing key", ErrInvalidToken)
	}
	if err != nil {
		return nil, fmt.Errorf("look up signing key: %w", err)
	}
	priv, err := decodeKey(encoded)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", kid, err)
	}
	pub = priv.Public().(ed25519.PublicKey)
	k.mu.Lock()
	k.public[kid] = pub
	k.mu.Unlock()
	return pub, nil
}

// keyID names a key by a digest of its public half, so the id reveals
// nothing and two keys never share one.
func keyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

func decodeKey(encoded string) (ed25519.PrivateKey, error) {
	seed, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("stored key is not a base64 Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
