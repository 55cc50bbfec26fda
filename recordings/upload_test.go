package recordings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"cloudwindow/objectstore/objectstoretest"
)

// flakyStorage fails its first puts, as a store that is down would.
type flakyStorage struct {
	Storage
	failures atomic.Int32
}

func (s *flakyStorage) Put(ctx context.Context, key, path, contentType string, size int64, sum string) error {
	if s.failures.Add(-1) >= 0 {
		return errors.New("connection refused")
	}
	return s.Storage.Put(ctx, key, path, contentType, size, sum)
}

// recordOne records a few seconds of a station's audio and camera.
func recordOne(t *testing.T, tr *testRecorder) File {
	t.Helper()
	tr.queueLen = 1 << 15
	st := stream{start: tr.clock.Now(), length: 3 * time.Second, keyEvery: 50, srEvery: time.Second}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, st.arrivals())
	p.close()
	tr.wait(t, testCall.ID)
	files := tr.files(t, testCall.ID)
	if len(files) != 1 || files[0].Status != StatusFinished || files[0].SHA256 == "" {
		t.Fatalf("recorded files = %+v", files)
	}
	return files[0]
}

// checkUploaded: the row says remote, the store holds the file with the
// index's size and SHA-256, and the local copy is gone.
func checkUploaded(t *testing.T, tr *testRecorder, want File) {
	t.Helper()
	f := tr.files(t, want.CallID)[0]
	if f.Storage != StoredRemote || f.ObjectKey == "" || f.SHA256 != want.SHA256 || f.SizeBytes != want.SizeBytes {
		t.Fatalf("after upload the index says %+v, want remote with sha256 %s", f, want.SHA256)
	}
	r, size, err := tr.cfg.Storage.Open(context.Background(), f.ObjectKey, -1)
	if err != nil {
		t.Fatalf("open the uploaded file: %v", err)
	}
	defer r.Close()
	body, err := io.ReadAll(r)
	if err != nil || size != f.SizeBytes || sha256Hex(body) != f.SHA256 {
		t.Fatalf("stored copy: %d bytes (index %d), sha256 %s (index %s), %v", size, f.SizeBytes, sha256Hex(body), f.SHA256, err)
	}
	if _, err := os.Stat(tr.pathOf(f)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the local copy is still there after a verified upload: %v", err)
	}
}

func TestUploadsRetryAndSurviveARestart(t *testing.T) {
	store := objectstoretest.Open(t, objectstoretest.Config(t))
	db, dir := testSQLite(t), t.TempDir()
	down := &flakyStorage{Storage: store}
	down.failures.Store(1 << 20)
	tr := newTestRecorder(t, db, dir, func(c *Config) { c.Storage = down })
	f := recordOne(t, tr)
	ctx := context.Background()

	u := &uploader{rec: tr.Recorder, retry: map[string]backoff{}}
	if wait := u.pass(ctx); wait <= 0 || wait > uploadBackoffMin {
		t.Errorf("after a first failure the uploader waits %v, want the first backoff", wait)
	}
	u.retry[f.ID] = backoff{tries: 5, at: time.Now()} // the backoff is over
	u.pass(ctx)
	if got := u.retry[f.ID]; got.tries != 6 || time.Until(got.at) < 16*time.Second {
		t.Errorf("after 6 failures: %+v, want a longer backoff", got)
	}
	if rows := tr.files(t, f.CallID); rows[0].Storage != StoredLocal {
		t.Fatalf("a failed upload changed the index: %+v", rows[0])
	}
	if _, err := os.Stat(tr.pathOf(f)); err != nil {
		t.Fatalf("the local copy is gone although no upload succeeded: %v", err)
	}
	tr.Close()

	// The node restarts, and the store is back: the waiting file goes up.
	next := newTestRecorder(t, db, dir, func(c *Config) { c.Storage = store })
	runUploads(t, next)
	waitStored(t, next, f.CallID)
	checkUploaded(t, next, f)
	if got := metricValue(t, next.metrics.uploaded); got != 1 {
		t.Errorf("uploads counted: %v, want 1", got)
	}
}

func TestCrashRepairedPartIsUploadedAfterRepair(t *testing.T) {
	store := objectstoretest.Open(t, objectstoretest.Config(t))
	db, dir := testSQLite(t), t.TempDir()
	tr := newTestRecorder(t, db, dir, func(c *Config) { c.Storage = store })
	tr.queueLen = 1 << 15
	tr.openFile = openFaulty(120_000, nil) // the process "dies" about 5 s in
	st := stream{start: tr.clock.Now(), length: 10 * time.Second, keyEvery: 50, srEvery: time.Second}
	p := tr.join(t, testCall, "station", true)
	tr.feed(p, st.arrivals())
	p.close()
	tr.wait(t, testCall.ID)
	tr.Close()
	ctx := context.Background()
	for _, q := range []string{`UPDATE recording_files SET status = 'recording', size_bytes = 0, sha256 = ''`,
		`UPDATE recordings SET status = 'recording'`} {
		if _, err := db.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}

	next := newTestRecorder(t, db, dir, func(c *Config) { c.Storage = store })
	runUploads(t, next)
	if err := next.Repair(ctx); err != nil {
		t.Fatalf("repair: %v", err)
	}
	waitStored(t, next, testCall.ID)
	f := next.files(t, testCall.ID)[0]
	if f.Status != StatusRepaired {
		t.Fatalf("file after repair = %+v", f)
	}
	checkUploaded(t, next, f)
	r, _, err := store.Open(ctx, f.ObjectKey, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	body, _ := io.ReadAll(r)
	path := t.TempDir() + "/repaired.webm"
	os.WriteFile(path, body, 0o600)
	if seg := parseFile(t, path).segment; seg.Cues == nil || len(seg.Cues.CuePoint) == 0 {
		t.Error("the uploaded copy is not the repaired file: no Cues")
	}
}

func runUploads(t *testing.T, tr *testRecorder) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tr.RunUploads(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func waitStored(t *testing.T, tr *testRecorder, callID string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		files := tr.files(t, callID)
		remote := 0
		for _, f := range files {
			if f.Storage == StoredRemote {
				remote++
			}
		}
		if remote == len(files) && remote > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("files not uploaded: %+v", files)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
