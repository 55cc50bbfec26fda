package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeyEncryptionKey is a 256-bit AES key that encrypts the token signing
// keys in the store, so that a copy of the database alone cannot mint
// tokens. It is given to every node from configuration or a secrets file.
type KeyEncryptionKey struct {
	id  string // names the key in what it encrypted, without revealing it
	key []byte
}

// encryptedPrefix marks an encrypted signing key:
// "aesgcm1:<key id>:<base64 of nonce and sealed seed>". A stored key
// without it is a plain base64 seed, as written before encryption existed.
const encryptedPrefix = "aesgcm1:"

// ParseKeyEncryptionKeys reads keys written as base64 of 32 bytes (what
// `openssl rand -base64 32` prints), separated by commas, spaces or lines.
// The first encrypts; any others only decrypt, while keys are rotated.
func ParseKeyEncryptionKeys(text string) ([]KeyEncryptionKey, error) {
	var keys []KeyEncryptionKey
	for i, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		raw, err := base64.StdEncoding.DecodeString(f)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("key-encryption key %d: want the base64 of 32 random bytes (openssl rand -base64 32)", i+1)
		}
		sum := sha256.Sum256(raw)
		keys = append(keys, KeyEncryptionKey{id: hex.EncodeToString(sum[:4]), key: raw})
	}
	return keys, nil
}

// LoadKeyEncryptionKeys finds the key-encryption keys: value (a flag or the
// environment), else the file named by file, else the file generated, on
// the first start, at generated (a node running alone keeps it in its data
// directory; a cluster must give every node the same keys).
func LoadKeyEncryptionKeys(value, file, generated string) ([]KeyEncryptionKey, error) {
	if strings.TrimSpace(value) != "" {
		return ParseKeyEncryptionKeys(value)
	}
	if file == "" {
		if generated == "" {
			return nil, nil
		}
		if err := generateKeyFile(generated); err != nil {
			return nil, err
		}
		file = generated
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read key-encryption key: %w", err)
	}
	keys, err := ParseKeyEncryptionKeys(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s holds no key-encryption key", file)
	}
	return keys, nil
}

// DefaultKeyEncryptionKeyFile is where a node given no key-encryption key
// keeps the one it generates on its first start.
func DefaultKeyEncryptionKeyFile(dataDir string) string {
	return filepath.Join(dataDir, "secrets", "key-encryption.key")
}

// generateKeyFile writes a new random key to path unless the file exists.
func generateKeyFile(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create key-encryption key: %w", err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil // another process made it first
	}
	if err != nil {
		return fmt.Errorf("create key-encryption key: %w", err)
	}
	if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(raw)); err != nil {
		f.Close()
		return fmt.Errorf("write key-encryption key: %w", err)
	}
	return f.Close()
}

// sealSeed encrypts a signing key's seed with k; the key id is bound in as
// additional data, so a sealed seed cannot be moved to another key's row.
func (k KeyEncryptionKey) sealSeed(kid string, seed []byte) (string, error) {
	gcm, err := k.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	sealed := gcm.Seal(nonce, nonce, seed, []byte(kid))
	return encryptedPrefix + k.id + ":" + base64.StdEncoding.EncodeToString(sealed), nil
}

func (k KeyEncryptionKey) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.key)
	if err != nil {
		return nil, fmt.Errorf("key-encryption key: %w", err)
	}
	return cipher.NewGCM(block)
}

// encodeKey is the stored form of a signing key: sealed with the first of
// keks, or a plain base64 seed when there are none.
func encodeKey(kid string, priv ed25519.PrivateKey, keks []KeyEncryptionKey) (string, error) {
	if len(keks) == 0 {
		return base64.StdEncoding.EncodeToString(priv.Seed()), nil
	}
	return keks[0].sealSeed(kid, priv.Seed())
}

// decodeKey reads a stored signing key, sealed or plain. current reports
// whether it is stored as encodeKey would store it now.
func decodeKey(kid, stored string, keks []KeyEncryptionKey) (priv ed25519.PrivateKey, current bool, err error) {
	rest, sealed := strings.CutPrefix(stored, encryptedPrefix)
	if !sealed {
		seed, err := base64.StdEncoding.DecodeString(stored)
		if err != nil || len(seed) != ed25519.SeedSize {
			return nil, false, errors.New("stored key is not a base64 Ed25519 seed")
		}
		return ed25519.NewKeyFromSeed(seed), len(keks) == 0, nil
	}
	id, data, _ := strings.Cut(rest, ":")
	for i, k := range keks {
		if k.id != id {
			continue
		}
		seed, err := k.openSeed(kid, data)
		if err != nil {
			return nil, false, err
		}
		return ed25519.NewKeyFromSeed(seed), i == 0, nil
	}
	return nil, false, fmt.Errorf("it is encrypted with key-encryption key %s, which this node was not given (--key-encryption-key-file)", id)
}

func (k KeyEncryptionKey) openSeed(kid, data string) ([]byte, error) {
	sealed, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, errors.New("stored key is not valid base64")
	}
	gcm, err := k.aead()
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("stored key is too short")
	}
	seed, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(kid))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("stored key does not decrypt with key-encryption key %s", k.id)
	}
	return seed, nil
}
