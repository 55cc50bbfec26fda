package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
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
// They are stored encrypted with the first key-encryption key.
type keyring struct {
	db      *store.DB
	log     *slog.Logger
	keks    []KeyEncryptionKey
	signing signingKey

	mu     sync.RWMutex
	public map[string]ed25519.PublicKey // by kid; only keys found in the store
}

// loadKeyring re-encrypts stored keys that are in plain text or under an
// older key-encryption key, then picks the oldest stored key for signing,
// creating one on the first start. Nodes starting together may each insert
// a key; choosing the oldest afterwards makes them agree.
func loadKeyring(ctx context.Context, db *store.DB, keks []KeyEncryptionKey, now time.Time, logger *slog.Logger) (*keyring, error) {
	k := &keyring{db: db, log: logger, keks: keks, public: map[string]ed25519.PublicKey{}}
	if err := k.reencrypt(ctx); err != nil {
		return nil, err
	}
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
	if len(keks) == 0 {
		k.log.Warn("token signing keys are stored unencrypted: give a key-encryption key")
	}
	k.signing = key
	k.public[key.kid] = key.priv.Public().(ed25519.PublicKey)
	return k, nil
}

// reencrypt brings every stored key to the current key-encryption key.
// The update is conditional on the old value, so nodes doing it at once
// do not clash.
func (k *keyring) reencrypt(ctx context.Context) error {
	rows, err := k.db.Query(ctx, `SELECT kid, private_key FROM signing_keys`)
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	stale := map[string]string{}
	for rows.Next() {
		var kid, stored string
		if err := rows.Scan(&kid, &stored); err != nil {
			rows.Close()
			return fmt.Errorf("read signing keys: %w", err)
		}
		stale[kid] = stored
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	for kid, stored := range stale {
		priv, current, err := decodeKey(kid, stored, k.keks)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", kid, err)
		}
		if current {
			continue
		}
		encoded, err := encodeKey(kid, priv, k.keks)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", kid, err)
		}
		if _, err := k.db.Exec(ctx, `UPDATE signing_keys SET private_key = ? WHERE kid = ? AND private_key = ?`,
			encoded, kid, stored); err != nil {
			return fmt.Errorf("re-encrypt signing key %s: %w", kid, err)
		}
		k.log.Info("signing key re-encrypted with the current key-encryption key", "kid", kid)
	}
	return nil
}

func (k *keyring) oldest(ctx context.Context) (signingKey, error) {
	var kid, encoded string
	err := k.db.QueryRow(ctx, `SELECT kid, private_key FROM signing_keys ORDER BY created_at, kid LIMIT 1`).Scan(&kid, &encoded)
	if err != nil {
		return signingKey{}, fmt.Errorf("load signing key: %w", err)
	}
	priv, _, err := decodeKey(kid, encoded, k.keks)
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
	kid := keyID(pub)
	encoded, err := encodeKey(kid, priv, k.keks)
	if err != nil {
		return fmt.Errorf("store signing key: %w", err)
	}
	_, err = k.db.Exec(ctx, `INSERT INTO signing_keys (kid, private_key, created_at) VALUES (?, ?, ?)`,
		kid, encoded, store.Millis(now))
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
	priv, _, err := decodeKey(kid, encoded, k.keks)
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
