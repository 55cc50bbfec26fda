package sessionstate_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"cloudwindow/bus/bustest"
	"cloudwindow/sessionstate"
)

// stores are the implementations under test: memory always, Redis when
// CLOUDWINDOW_TEST_REDIS names one.
func stores(t *testing.T) map[string]sessionstate.Store {
	out := map[string]sessionstate.Store{"memory": sessionstate.NewMemory()}
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") != "" {
		client, prefix := bustest.OpenRedis(t)
		out["redis"] = sessionstate.NewRedis(client, prefix)
	}
	return out
}

func TestStoreKeepsTheSessionForResume(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, err := st.Load(ctx, "a1"); !errors.Is(err, sessionstate.ErrNotFound) {
				t.Fatalf("load before save: %v", err)
			}
			rec := sessionstate.Record{ID: "s-1", TokenHash: sessionstate.TokenHash("r-1"), AccountID: "a1", Role: "station", Node: "node1",
				CallID: "c1", CallNode: "node2", Call: []byte(`{"call_id":"c1"}`), ExpiresAt: time.Now().Add(time.Minute)}
			if err := st.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
			got, err := st.Load(ctx, "a1")
			if err != nil || got.ID != "s-1" || got.TokenHash != sessionstate.TokenHash("r-1") || got.CallNode != "node2" || string(got.Call) != `{"call_id":"c1"}` {
				t.Fatalf("load: %+v %v", got, err)
			}
		})
	}
}

func TestStoreDeletesOnlyItsOwnSession(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rec := sessionstate.Record{ID: "s-2", AccountID: "a2", ExpiresAt: time.Now().Add(time.Minute)}
			if err := st.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
			// An older session of the account ending elsewhere leaves it.
			if err := st.Delete(ctx, "a2", "s-1"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Load(ctx, "a2"); err != nil {
				t.Fatalf("a successor's record was deleted: %v", err)
			}
			if err := st.Delete(ctx, "a2", "s-2"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Load(ctx, "a2"); !errors.Is(err, sessionstate.ErrNotFound) {
				t.Fatalf("after delete: %v", err)
			}
		})
	}
}

func TestStoreForgetsExpiredSessions(t *testing.T) {
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rec := sessionstate.Record{ID: "s-3", AccountID: "a3", ExpiresAt: time.Now().Add(50 * time.Millisecond)}
			if err := st.Save(ctx, rec); err != nil {
				t.Fatal(err)
			}
			time.Sleep(150 * time.Millisecond)
			if _, err := st.Load(ctx, "a3"); !errors.Is(err, sessionstate.ErrNotFound) {
				t.Fatalf("an expired session can still be resumed: %v", err)
			}
		})
	}
}
