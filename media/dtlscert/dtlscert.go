// Package dtlscert keeps the DTLS certificate that a process's
// PeerConnections share. pion makes a fresh ECDSA key and self-signed
// certificate for every PeerConnection that is given none; at a hundred
// calls starting at once that key generation is a measurable part of call
// set-up, and nothing is gained by it: the certificate only binds the DTLS
// handshake to the fingerprint in the SDP, which travels over the
// authenticated signaling channel.
package dtlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// DefaultLifetime is how long one certificate is handed out before a new
// one is made. pion's certificates are valid for a month, so a PeerConnection
// made just before a rotation still has weeks left.
const DefaultLifetime = 24 * time.Hour

// Rotating hands out one certificate and replaces it once it is older than
// its lifetime. It is safe for concurrent use.
type Rotating struct {
	lifetime time.Duration
	now      func() time.Time

	mu   sync.Mutex
	cert *webrtc.Certificate
	made time.Time
}

// New returns a Rotating with the given lifetime (DefaultLifetime if <= 0);
// now is the clock (time.Now if nil).
func New(lifetime time.Duration, now func() time.Time) *Rotating {
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	if now == nil {
		now = time.Now
	}
	return &Rotating{lifetime: lifetime, now: now}
}

// Current returns the certificate to give a new PeerConnection, making a
// new one if there is none yet or the last is due for rotation.
func (r *Rotating) Current() (webrtc.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.cert == nil || now.Sub(r.made) >= r.lifetime {
		cert, err := generate()
		if err != nil {
			return webrtc.Certificate{}, err
		}
		r.cert, r.made = cert, now
	}
	return *r.cert, nil
}

// Configuration returns cfg with the current certificate set.
func (r *Rotating) Configuration(cfg webrtc.Configuration) (webrtc.Configuration, error) {
	cert, err := r.Current()
	if err != nil {
		return cfg, err
	}
	cfg.Certificates = []webrtc.Certificate{cert}
	return cfg, nil
}

// generate makes the same kind of certificate pion makes by itself: ECDSA
// P-256, which every browser accepts.
func generate() (*webrtc.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dtls certificate key: %w", err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return nil, fmt.Errorf("dtls certificate: %w", err)
	}
	return cert, nil
}
