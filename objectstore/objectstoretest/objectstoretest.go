// Package objectstoretest connects tests to the S3-compatible server named
// by CLOUDWINDOW_TEST_S3 (s3://ACCESS:SECRET@host:port?tls=false), which
// scripts/test starts. Without it the tests skip, except under CI, where
// they fail: there the server must be there.
package objectstoretest

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"cloudwindow/objectstore"
)

// Config returns a store config for a bucket of the test's own.
func Config(t testing.TB) objectstore.Config {
	t.Helper()
	raw := os.Getenv("CLOUDWINDOW_TEST_S3")
	if raw == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CLOUDWINDOW_TEST_S3 is not set: scripts/test starts the S3 server")
		}
		t.Skip("CLOUDWINDOW_TEST_S3 is not set (scripts/test starts an S3 server)")
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		t.Fatalf("CLOUDWINDOW_TEST_S3: want s3://ACCESS:SECRET@host:port?tls=false, got %q", raw)
	}
	secret, _ := u.User.Password()
	cfg := objectstore.Config{AccessKey: u.User.Username(), SecretKey: secret}
	u.User = nil
	u.Path = "/test-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20] + "/recordings"
	cfg.URL = u.String()
	return cfg
}

// Open opens a store with a bucket of the test's own; the server may
// still be starting, so the first connection is retried for a while.
func Open(t testing.TB, cfg objectstore.Config) *objectstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		s, err := objectstore.Open(ctx, cfg)
		if err == nil {
			t.Cleanup(s.Close)
			return s
		}
		if ctx.Err() != nil {
			t.Fatalf("open the test object store: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Ranges records the Range header of every GET sent to the store, to
// show that reads go through to it as range requests.
type Ranges struct {
	Next http.RoundTripper
	mu   sync.Mutex
	seen []string
}

// RoundTrip notes the request's Range header and sends it on.
func (r *Ranges) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && req.URL.Query().Get("location") == "" {
		r.mu.Lock()
		r.seen = append(r.seen, req.Header.Get("Range"))
		r.mu.Unlock()
	}
	return r.next().RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of the transport.
func (r *Ranges) CloseIdleConnections() {
	if t, ok := r.next().(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

func (r *Ranges) next() http.RoundTripper {
	if r.Next == nil {
		return http.DefaultTransport
	}
	return r.Next
}

// Seen returns the Range headers of the GETs so far ("" for a whole object).
func (r *Ranges) Seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}
