package stationhealth

import (
	"context"
	"testing"
	"time"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func addStation(t *testing.T, db *store.DB, id, name string, island, disabled bool) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Exec(ctx, `INSERT INTO accounts (id, username, display_name, role, password_hash, disabled, created_at, updated_at)
		VALUES (?, ?, ?, 'station', 'x', ?, 1, 1)`, id, id, name, disabled); err != nil {
		t.Fatalf("add account %s: %v", id, err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO stations (account_id, name, region, island) VALUES (?, ?, '沈家门街道', ?)`, id, name, island); err != nil {
		t.Fatalf("add station %s: %v", id, err)
	}
}

func byID(t *testing.T, s *Store, now time.Time) map[string]Station {
	t.Helper()
	list, err := s.List(context.Background(), now)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	out := map[string]Station{}
	for _, st := range list {
		out[st.ID] = st
	}
	return out
}

// TestStationHealthStates: a heartbeat makes a station online; a closed
// socket makes it offline since then; a station silent past the stale
// limit (its node died) is offline since its last heartbeat; one that
// never reported has no times; disabled stations are not listed.
func TestStationHealthStates(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, st := range []struct {
			id       string
			island   bool
			disabled bool
		}{{"a", false, false}, {"b", true, false}, {"c", false, false}, {"d", false, true}} {
			addStation(t, db, st.id, "站"+st.id, st.island, st.disabled)
		}
		s := NewStore(db, time.Minute)
		t0 := time.UnixMilli(1_800_000_000_000)
		report := Report{Version: "1", Devices: map[string]string{"camera": "ok", "document_camera": "missing"}}
		for _, id := range []string{"a", "b"} {
			if err := s.Beat(ctx, id, report, t0); err != nil {
				t.Fatalf("beat %s: %v", id, err)
			}
		}
		if err := s.Gone(ctx, "b", t0.Add(10*time.Second)); err != nil {
			t.Fatalf("gone b: %v", err)
		}

		got := byID(t, s, t0.Add(30*time.Second))
		if len(got) != 3 {
			t.Fatalf("listed %d stations, want 3 enabled ones: %+v", len(got), got)
		}
		if a := got["a"]; !a.Online || a.OfflineSince != nil || len(a.Missing) != 1 || a.Missing[0] != "document_camera" {
			t.Errorf("a after a heartbeat: %+v", a)
		}
		if b := got["b"]; b.Online || b.OfflineSince == nil || !b.OfflineSince.Equal(t0.Add(10*time.Second)) || !b.Island {
			t.Errorf("b after its socket closed: %+v", b)
		}
		if c := got["c"]; c.Online || c.LastSeen != nil || c.OfflineSince != nil {
			t.Errorf("c never reported: %+v", c)
		}

		stale := byID(t, s, t0.Add(2*time.Minute))["a"]
		if stale.Online || stale.OfflineSince == nil || !stale.OfflineSince.Equal(t0) {
			t.Errorf("a silent past the stale limit: %+v, want offline since its last heartbeat", stale)
		}
	})
}

func TestReportCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    Report
		ok   bool
	}{
		{"every device", Report{Version: "2026.12.2", Devices: map[string]string{"camera": "ok", "document_camera": "none", "microphone": "missing", "printer": "unknown"}}, true},
		{"empty", Report{}, true},
		{"unknown device", Report{Devices: map[string]string{"scanner": "ok"}}, false},
		{"unknown state", Report{Devices: map[string]string{"camera": "broken"}}, false},
		{"long version", Report{Version: string(make([]byte, MaxVersionLen+1))}, false},
	} {
		if err := tc.r.Check(); (err == nil) != tc.ok {
			t.Errorf("%s: Check() = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
