package objectstore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"cloudwindow/objectstore"
	"cloudwindow/objectstore/objectstoretest"
)

func testFile(t *testing.T, size int) (path string, data []byte, sum string) {
	data = make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	path = filepath.Join(t.TempDir(), "part.webm")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return path, data, hex.EncodeToString(h[:])
}

func TestPutChecksAndRangesReachTheStore(t *testing.T) {
	cfg := objectstoretest.Config(t)
	ranges := &objectstoretest.Ranges{}
	cfg.Transport = ranges
	s := objectstoretest.Open(t, cfg)
	ctx := context.Background()
	path, data, sum := testFile(t, 3<<20)

	if err := s.Put(ctx, "2026/12/02/a.webm", path, "video/webm", int64(len(data)), sum); err != nil {
		t.Fatalf("put: %v", err)
	}
	if size, got, err := s.Stat(ctx, "2026/12/02/a.webm"); err != nil || size != int64(len(data)) || got != sum {
		t.Fatalf("stat = %d, %s, %v; want %d, %s", size, got, err, len(data), sum)
	}

	before := len(ranges.Seen())
	r, size, err := s.Open(ctx, "2026/12/02/a.webm", 1<<20+99)
	if err != nil || size != int64(len(data)) {
		t.Fatalf("open = %d, %v", size, err)
	}
	defer r.Close()
	if _, err := r.Seek(1<<20, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 100)
	if _, err := io.ReadFull(r, got); err != nil || !bytes.Equal(got, data[1<<20:1<<20+100]) {
		t.Fatalf("range read: %v, bytes equal: %v", err, bytes.Equal(got, data[1<<20:1<<20+100]))
	}
	if seen := ranges.Seen()[before:]; len(seen) != 1 || seen[0] != "bytes=1048576-1048675" {
		t.Errorf("GETs sent for a 100-byte range: %q, want one for exactly that range", seen)
	}
	// Reading on past the hinted end fetches the rest.
	rest, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(rest, data[1<<20+100:]) {
		t.Fatalf("read to the end: %d bytes, %v", len(rest), err)
	}

	if err := s.Remove(ctx, "2026/12/02/a.webm"); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, _, err := s.Stat(ctx, "2026/12/02/a.webm"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat after remove: %v, want not found", err)
	}
	if err := s.Remove(ctx, "2026/12/02/a.webm"); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func TestPutRefusesACopyThatDoesNotMatch(t *testing.T) {
	s := objectstoretest.Open(t, objectstoretest.Config(t))
	path, data, _ := testFile(t, 1000)
	wrong := hex.EncodeToString(make([]byte, 32))
	err := s.Put(context.Background(), "b.webm", path, "video/webm", int64(len(data)), wrong)
	if !errors.Is(err, objectstore.ErrMismatch) {
		t.Fatalf("put with the wrong SHA-256 = %v, want ErrMismatch", err)
	}
}
