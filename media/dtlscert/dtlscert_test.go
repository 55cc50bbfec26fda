package dtlscert

import (
	"testing"
	"time"
)

func fingerprint(t *testing.T, r *Rotating) string {
	t.Helper()
	cert, err := r.Current()
	if err != nil {
		t.Fatal(err)
	}
	fps, err := cert.GetFingerprints()
	if err != nil || len(fps) == 0 {
		t.Fatalf("fingerprints: %v %v", fps, err)
	}
	return fps[0].Value
}

func TestRotatingSharesThenRotates(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	r := New(24*time.Hour, func() time.Time { return now })
	first := fingerprint(t, r)
	now = now.Add(23 * time.Hour)
	if got := fingerprint(t, r); got != first {
		t.Fatalf("certificate changed within its lifetime: %s, then %s", first, got)
	}
	now = now.Add(time.Hour)
	if got := fingerprint(t, r); got == first {
		t.Fatal("certificate not rotated after its lifetime")
	}
}

func TestRotatingCertificateOutlivesItsTurn(t *testing.T) {
	r := New(0, nil)
	cert, err := r.Current()
	if err != nil {
		t.Fatal(err)
	}
	// A PeerConnection made just before a rotation must keep a valid
	// certificate for the longest call.
	if left := time.Until(cert.Expires()); left < 7*24*time.Hour {
		t.Fatalf("certificate expires in %v", left)
	}
}
