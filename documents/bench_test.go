package documents

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"cloudwindow/store"
)

// BenchmarkUpload measures receiving a 1 MiB scan in default-size chunks
// through the service on SQLite: chunk checks, writes in place with fsync,
// bookkeeping, and the final whole-file hash and content check.
func BenchmarkUpload(b *testing.B) {
	db, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e := newEnv(b, db)
	svc, err := New(Config{DataDir: b.TempDir(), DB: db, Calls: e.calls, Cases: e.cases, Audit: e.audit,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	data := append([]byte("%PDF-1.4\n"), make([]byte, 1<<20)...)
	rand.Read(data[9:])
	data = append(data, "\n%%EOF\n"...)
	ctx := context.Background()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := range b.N {
		call := e.newCall(b, fmt.Sprintf("bench-%d", i))
		st, err := svc.Begin(ctx, station1, UploadRequest{CallID: call.ID, Filename: "a.pdf", Size: int64(len(data)), SHA256: hexSHA(data)})
		if err != nil {
			b.Fatal(err)
		}
		for c := range st.Chunks {
			part := data[c*st.ChunkSize : min((c+1)*st.ChunkSize, len(data))]
			if st, err = svc.PutChunk(ctx, station1, st.UploadID, c, bytes.NewReader(part), hexSHA(part)); err != nil {
				b.Fatal(err)
			}
		}
		if st.Status != "done" {
			b.Fatalf("upload ended %s", st.Status)
		}
	}
}
