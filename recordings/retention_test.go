package recordings

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/identity"
)

// seedRecorded indexes a finished recording of callID that started at
// start, with one small file on disk.
func seedRecorded(t *testing.T, tr *testRecorder, callID string, start time.Time) File {
	t.Helper()
	ctx := context.Background()
	call := testCall
	call.ID = callID
	if err := tr.indexRecording(ctx, call, start); err != nil {
		t.Fatal(err)
	}
	f := File{ID: callID + "-f", CallID: callID, Party: "agent", Part: 1, Path: start.Format("2006/01/02") + "/" + callID + "-agent.webm",
		ContentType: "audio/webm", Node: "node-a", StartedAt: start, EndedAt: start.Add(time.Minute),
		Status: StatusFinished, DurationMs: 60_000, SHA256: "ab12"}
	os.MkdirAll(filepath.Dir(tr.pathOf(f)), 0o750)
	if err := os.WriteFile(tr.pathOf(f), []byte("webm"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := tr.indexFile(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := tr.closeRecording(ctx, callID, StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRetentionDeletesOldRecordingsUnlessHeld(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			tr := newTestRecorder(t, db, t.TempDir())
			tr.cfg.Retention = 90 * 24 * time.Hour
			ctx := context.Background()
			now := tr.now()
			old := seedRecorded(t, tr, "old", now.AddDate(0, 0, -100))
			held := seedRecorded(t, tr, "held", now.AddDate(0, 0, -100))
			recent := seedRecorded(t, tr, "recent", now.AddDate(0, 0, -10))
			supervisor := identity.Identity{AccountID: "su-1", Username: "super1", Role: identity.RoleSupervisor}
			if _, err := tr.SetHold(ctx, "held", true, supervisor); err != nil {
				t.Fatal(err)
			}

			n, err := tr.ApplyRetention(ctx)
			if err != nil || n != 1 {
				t.Fatalf("retention removed %d files, err %v; want 1", n, err)
			}
			if _, err := os.Stat(tr.pathOf(old)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("expired file still on disk: %v", err)
			}
			for _, f := range []File{held, recent} {
				if _, err := os.Stat(tr.pathOf(f)); err != nil {
					t.Errorf("%s was deleted: %v", f.CallID, err)
				}
			}
			tomb, err := tr.Session(ctx, "old")
			if err != nil || tomb.Status != StatusDeleted || tomb.DeletedAt.IsZero() || tomb.Files[0].Status != StatusDeleted {
				t.Fatalf("tombstone = %+v, %v", tomb, err)
			}
			if tomb.Files[0].SHA256 != old.SHA256 || tomb.StationName != testCall.StationName {
				t.Error("the tombstone lost what the index knew")
			}
			if _, err := tr.SetHold(ctx, "old", true, supervisor); !errors.Is(err, ErrDeleted) {
				t.Errorf("hold on a deleted recording: %v, want ErrDeleted", err)
			}
			if n, err := tr.ApplyRetention(ctx); err != nil || n != 0 {
				t.Errorf("second run removed %d, err %v", n, err)
			}
			mux := http.NewServeMux()
			tr.Routes(mux, testTokens, audit.New(db))
			req := httptest.NewRequest("GET", "/api/v1/recordings/old/files/"+old.ID, nil)
			req.Header.Set("Authorization", "Bearer supervisor")
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, req)
			if w.Code != http.StatusGone {
				t.Errorf("playing a deleted recording = %d, want 410", w.Code)
			}

			if _, err := tr.SetHold(ctx, "held", false, supervisor); err != nil {
				t.Fatal(err)
			}
			if n, _ := tr.ApplyRetention(ctx); n != 1 {
				t.Errorf("after the hold was lifted retention removed %d files, want 1", n)
			}
		})
	}
}

func TestRunRetentionStopsWithContext(t *testing.T) {
	for _, retention := range []time.Duration{0, time.Hour} {
		tr := newTestRecorder(t, testSQLite(t), t.TempDir())
		tr.cfg.Retention = retention
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			tr.RunRetention(ctx)
			close(done)
		}()
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("RunRetention (retention %v) did not stop", retention)
		}
	}
}
