package catalog

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"

	"cloudwindow/audit"
	"cloudwindow/store"
)

func benchService(b *testing.B) *Service {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := NewService(db, nil)
	if err := s.Seed(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// The queue looks an item up for every call request.
func BenchmarkItem(b *testing.B) {
	s := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Item(ctx, "ltc-001"); err != nil {
			b.Fatal(err)
		}
	}
}

// A station searching as the resident types.
func BenchmarkItemsSearch(b *testing.B) {
	s := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Items(ctx, Query{Text: "补贴"}); err != nil {
			b.Fatal(err)
		}
	}
}

// A station loading the whole catalog on its home screen.
func BenchmarkItemsAll(b *testing.B) {
	s := benchService(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Items(ctx, Query{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The full HTTP path of a search, without the network.
func BenchmarkListHTTP(b *testing.B) {
	s := benchService(b)
	mux := http.NewServeMux()
	s.Routes(mux, testTokens, audit.New(s.db))
	target := "/api/v1/catalog?q=" + url.QueryEscape("异地就医")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", "Bearer station-token")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// Every start seeds; with nothing new it must only read.
func BenchmarkSeedUnchanged(b *testing.B) {
	s := benchService(b)
	ctx := context.Background()
	for b.Loop() {
		if err := s.Seed(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
