package auth

import (
	"context"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/store"
)

func benchService(b *testing.B, cost int) *Service {
	b.Helper()
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s, err := NewService(db, Options{BcryptCost: cost})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.SeedDemo(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkVerify measures the per-request cost of an access token: the
// signature check and the cached account lookup.
func BenchmarkVerify(b *testing.B) {
	s := benchService(b, bcrypt.MinCost)
	ctx := context.Background()
	tok, err := s.Login(ctx, "agent1", DemoPassword, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Verify(ctx, tok.Token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin measures a login at the production bcrypt cost, which
// dominates it; unknown users cost the same through the dummy hash.
func BenchmarkLogin(b *testing.B) {
	s := benchService(b, bcrypt.DefaultCost)
	ctx := context.Background()
	for _, user := range []string{"agent1", "ghost"} {
		b.Run(user, func(b *testing.B) {
			for b.Loop() {
				s.Login(ctx, user, DemoPassword, "")
				clear(s.limiter.entries) // measure the work, not the delays
			}
		})
	}
}
