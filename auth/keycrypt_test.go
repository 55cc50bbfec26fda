package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/store"
)

func newKEK(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func serviceWithKEKs(t *testing.T, db *store.DB, keks string) (*Service, error) {
	t.Helper()
	keys, err := ParseKeyEncryptionKeys(keks)
	if err != nil {
		t.Fatal(err)
	}
	return NewService(db, Options{BcryptCost: bcrypt.MinCost, KeyEncryptionKeys: keys})
}

func storedKeys(t *testing.T, db *store.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT private_key FROM signing_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		rows.Scan(&k)
		out = append(out, k)
	}
	return out
}

// A copy of the database alone cannot mint tokens: the stored signing key
// is sealed, and existing plain keys are sealed on the next start, tokens
// signed before still verifying.
func TestSigningKeysAreEncryptedAtRest(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		plain, err := serviceWithKEKs(t, db, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := plain.SeedDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
		before := mustLogin(t, plain, "admin", DemoPassword)
		if keys := storedKeys(t, db); len(keys) != 1 || strings.HasPrefix(keys[0], encryptedPrefix) {
			t.Fatalf("without a key-encryption key: %v", keys)
		}
		k1 := newKEK(t)
		s, err := serviceWithKEKs(t, db, k1)
		if err != nil {
			t.Fatal(err)
		}
		keys := storedKeys(t, db)
		if len(keys) != 1 || !strings.HasPrefix(keys[0], encryptedPrefix) {
			t.Fatalf("plain key not migrated: %v", keys)
		}
		if _, err := base64.StdEncoding.DecodeString(keys[0]); err == nil {
			t.Fatal("stored key still decodes as a plain seed")
		}
		if _, err := s.Verify(context.Background(), before.Token); err != nil {
			t.Fatalf("token signed before the migration: %v", err)
		}
		if _, err := serviceWithKEKs(t, db, newKEK(t)); err == nil || !strings.Contains(err.Error(), "key-encryption key") {
			t.Fatalf("start with the wrong key-encryption key: %v", err)
		}
	})
}

// Rotation: start with the new key first and the old one after it; keys
// are re-sealed with the new one, and the old one can then be dropped.
func TestKeyEncryptionKeyRotation(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *store.DB) {
		k1, k2 := newKEK(t), newKEK(t)
		s1, err := serviceWithKEKs(t, db, k1)
		if err != nil {
			t.Fatal(err)
		}
		if err := s1.SeedDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
		tok := mustLogin(t, s1, "admin", DemoPassword)
		if _, err := serviceWithKEKs(t, db, k2+","+k1); err != nil {
			t.Fatalf("rotating start: %v", err)
		}
		s2, err := serviceWithKEKs(t, db, k2)
		if err != nil {
			t.Fatalf("start with only the new key after rotation: %v", err)
		}
		if _, err := s2.Verify(context.Background(), tok.Token); err != nil {
			t.Fatalf("token after rotation: %v", err)
		}
		if _, err := serviceWithKEKs(t, db, k1); err == nil {
			t.Fatal("the retired key still opens the signing key")
		}
	})
}

func TestLoadKeyEncryptionKeys(t *testing.T) {
	dir := t.TempDir()
	generated := filepath.Join(dir, "secrets", "kek")
	first, err := LoadKeyEncryptionKeys("", "", generated)
	if err != nil || len(first) != 1 {
		t.Fatalf("generate: %v %v", first, err)
	}
	if fi, err := os.Stat(generated); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated file: %v %v", fi, err)
	}
	again, err := LoadKeyEncryptionKeys("", "", generated)
	if err != nil || again[0].id != first[0].id {
		t.Fatal("a second start made a new key")
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString([]byte("16 bytes only..."))} {
		if _, err := LoadKeyEncryptionKeys(bad, "", generated); err == nil {
			t.Errorf("key %q accepted", bad)
		}
	}
	if _, err := LoadKeyEncryptionKeys("", filepath.Join(dir, "missing"), generated); err == nil {
		t.Error("a missing key file was accepted")
	}
}
