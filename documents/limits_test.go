package documents

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloudwindow/diskspace"
	"cloudwindow/identity"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// testClock is a clock the test moves.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// announce begins an upload of data and returns the status and error code.
func (e *env) announce(t *testing.T, who identity.Identity, callID string, data []byte) (int, string) {
	t.Helper()
	status, raw := e.request(t, "POST", "/api/v1/uploads", who, UploadRequest{
		CallID: callID, Filename: "scan.png", Size: int64(len(data)), SHA256: hexSHA(data),
	}, nil)
	if status == http.StatusOK {
		return status, ""
	}
	return status, decode[struct {
		Error struct{ Code string } `json:"error"`
	}](t, raw).Error.Code
}

func (e *env) uploadCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(context.Background(), `SELECT COUNT(*) FROM uploads`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUploadsCloseAfterTheCallAndItsGrace(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		clock := &testClock{now: time.Now()}
		e := newEnv(t, db, func(c *Config) { c.Now, c.Limits.Grace = clock.Now, time.Minute })
		call := e.newCall(t, "call-ended")
		during := e.uploader(t, station1, noisyPNG(t, 60, 1))
		if got := during.begin(call.ID, "a.png", ""); got != http.StatusOK {
			t.Fatalf("begin during the call: %d", got)
		}
		if err := e.calls.End(context.Background(), call.ID, clock.Now(), "hangup"); err != nil {
			t.Fatal(err)
		}
		clock.advance(30 * time.Second)
		if got, code := e.announce(t, station1, call.ID, noisyPNG(t, 20, 2)); got != http.StatusOK {
			t.Fatalf("upload within the grace: %d %s", got, code)
		}
		clock.advance(time.Minute)
		if got, code := e.announce(t, station1, call.ID, noisyPNG(t, 20, 3)); got != http.StatusConflict || code != "call_ended" {
			t.Errorf("upload 90 s after a call ended with 60 s grace: %d %q, want 409 call_ended", got, code)
		}
		if got := during.put(0, nil); got != http.StatusConflict {
			t.Errorf("chunk of an upload whose call closed: %d, want 409", got)
		}
		if n := e.uploadCount(t); n != 2 {
			t.Errorf("%d uploads stored, want the 2 sent in time", n)
		}
	})
}

func TestUploadQuotasPerCallAndStation(t *testing.T) {
	a, b, c := noisyPNG(t, 20, 1), noisyPNG(t, 20, 2), noisyPNG(t, 20, 3)
	size := int64(max(len(a), len(b), len(c)))
	cases := []struct {
		name   string
		limits Limits
	}{
		{"files per call", Limits{MaxFilesPerCall: 2}},
		{"bytes per call", Limits{MaxBytesPerCall: 2*size + size/2}},
		{"bytes per station in 24 h", Limits{MaxBytesPerStationDay: 2*size + size/2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
				e := newEnv(t, db, func(cfg *Config) { cfg.Limits = tc.limits })
				first, second := e.newCall(t, "call-1"), e.newCall(t, "call-2")
				for _, data := range [][]byte{a, b} {
					if got, code := e.announce(t, station1, first.ID, data); got != http.StatusOK {
						t.Fatalf("upload within the quota: %d %s", got, code)
					}
				}
				// A retry of a file already announced is no new upload.
				if got, _ := e.announce(t, station1, first.ID, a); got != http.StatusOK {
					t.Fatalf("re-announcing a file under way: %d", got)
				}
				target := first.ID
				if tc.limits.MaxBytesPerStationDay > 0 {
					target = second.ID // a new call does not reset the day
				}
				if got, code := e.announce(t, station1, target, c); got != http.StatusTooManyRequests || code != "quota_exceeded" {
					t.Errorf("upload over the quota: %d %q, want 429 quota_exceeded", got, code)
				}
				if n := e.uploadCount(t); n != 2 {
					t.Errorf("%d uploads stored, want 2", n)
				}
			})
		})
	}
}

func TestUploadsKeepTheDiskReserveFree(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		var free atomic.Uint64
		free.Store(10 << 30)
		e := newEnv(t, db, func(c *Config) {
			c.Space = &diskspace.Guard{Dir: c.DataDir, Reserve: 1 << 30, Free: func(string) (uint64, error) { return free.Load(), nil }}
		})
		call := e.newCall(t, "call-full")
		u := e.uploader(t, station1, noisyPNG(t, 60, 1))
		if got := u.begin(call.ID, "a.png", ""); got != http.StatusOK {
			t.Fatalf("begin with room: %d", got)
		}
		free.Store(1<<30 + 1000) // the disk fills up to near the reserve
		if got := u.put(0, nil); got != http.StatusInsufficientStorage {
			t.Errorf("chunk into the reserve: %d, want 507", got)
		}
		got, code := e.announce(t, station1, call.ID, noisyPNG(t, 20, 2))
		if got != http.StatusInsufficientStorage || code != "insufficient_storage" {
			t.Errorf("upload into the reserve: %d %q, want 507 insufficient_storage", got, code)
		}
		if n := e.uploadCount(t); n != 1 {
			t.Errorf("%d uploads stored, want only the one begun with room", n)
		}
	})
}
