package auth

import (
	"crypto/rand"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password rules for people and device secrets set through the API. bcrypt
// reads at most 72 bytes, so longer passwords would be silently truncated.
const (
	minPasswordLen = 8
	maxPasswordLen = 72
)

func validatePassword(p string) error {
	if utf8.RuneCountInString(p) < minPasswordLen {
		return invalid("password", "must be at least %d characters", minPasswordLen)
	}
	if len(p) > maxPasswordLen {
		return invalid("password", "must be at most %d bytes", maxPasswordLen)
	}
	return nil
}

// hasher hashes and checks passwords at a fixed bcrypt cost. Its dummy hash
// is compared when a username does not exist, so a login for an unknown user
// costs the same time as a wrong password.
type hasher struct {
	cost  int
	dummy []byte
}

func newHasher(cost int) (*hasher, error) {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h := &hasher{cost: cost}
	var err error
	if h.dummy, err = h.hash(randomString(passwordAlphabet, 20)); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *hasher) hash(password string) ([]byte, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return b, nil
}

// check reports whether password matches hash; a nil hash is checked against
// the dummy and never matches.
func (h *hasher) check(hash []byte, password string) bool {
	if hash == nil {
		bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// The alphabets leave out look-alike characters (0/O, 1/l/I) because
// generated passwords are read off a terminal and typed on a kiosk.
const (
	passwordAlphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	secretAlphabet   = "abcdefghijkmnpqrstuvwxyz23456789"
)

// GeneratePassword returns a random password for a person (about 95 bits).
func GeneratePassword() string { return randomString(passwordAlphabet, 16) }

// GenerateDeviceSecret returns a random station device secret (160 bits).
func GenerateDeviceSecret() string { return randomString(secretAlphabet, 32) }

// randomString draws n characters from alphabet. crypto/rand.Read never
// fails; rejection sampling keeps every character equally likely.
func randomString(alphabet string, n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		rand.Read(buf)
		if int(buf[0]) < limit {
			out = append(out, alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return string(out)
}
