package stationlink

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/identity"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

var tokens = authtest.Tokens{
	"admin":      {AccountID: "ad-1", Username: "admin", Role: identity.RoleAdmin},
	"supervisor": {AccountID: "su-1", Username: "super1", Role: identity.RoleSupervisor},
	"agent":      {AccountID: "ag-1", Username: "agent1", Role: identity.RoleAgent},
	"station":    {AccountID: "st-1", Username: "island1", Role: identity.RoleStation},
}

func addAccount(t *testing.T, db *store.DB, id, username, role string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `INSERT INTO accounts (id, username, display_name, role, password_hash, disabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'x', FALSE, 1, 1)`, id, username, username, role); err != nil {
		t.Fatalf("add account %s: %v", id, err)
	}
}

type server struct {
	url   string
	links *Store
	audit *audit.Log
}

func newServer(t *testing.T, db *store.DB) *server {
	t.Helper()
	addAccount(t, db, "st-1", "island1", "station")
	addAccount(t, db, "ag-1", "agent1", "agent")
	s := &server{links: NewStore(db), audit: audit.New(db)}
	mux := http.NewServeMux()
	s.links.Routes(mux, tokens, s.audit, slog.New(slog.DiscardHandler))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

func (s *server) do(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An admin marks a station as low bandwidth; the change is audited and the
// station's kiosk is then told to start low. Bad input changes nothing.
func TestAdminMarksStationLowBandwidth(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db)
		const path = "/api/v1/admin/stations/st-1/link"
		if code, body := s.do(t, "GET", path, "admin", ""); code != 200 || !strings.Contains(body, `"profile":"standard"`) {
			t.Fatalf("unmarked station: %d %s", code, body)
		}
		code, body := s.do(t, "PUT", path, "admin", `{"profile":"low_bandwidth"}`)
		if code != 200 || !strings.Contains(body, `"profile":"low_bandwidth"`) {
			t.Fatalf("mark: %d %s", code, body)
		}
		es, err := s.audit.List(context.Background(), audit.Filter{ObjectID: "st-1"})
		if err != nil || len(es) != 1 || es[0].Action != "station.link_profile" || es[0].Detail != "profile=low_bandwidth" {
			t.Errorf("audit entries %+v, %v", es, err)
		}
		st, err := s.links.Settings(context.Background(), "st-1")
		if err != nil || st.Camera == nil || st.Camera.MaxBitrate == 0 || st.Camera.MaxBitrate > 300_000 || st.Document == nil {
			t.Errorf("settings of a marked station %+v, %v: want low starting limits", st, err)
		}
		bad := []struct{ path, body string }{
			{path, `{"profile":"fast"}`},
			{path, `{"profile":"standard","extra":1}`},
			{"/api/v1/admin/stations/ag-1/link", `{"profile":"standard"}`},
			{"/api/v1/admin/stations/nope/link", `{"profile":"standard"}`},
		}
		for _, b := range bad {
			if code, _ := s.do(t, "PUT", b.path, "admin", b.body); code != 400 && code != 404 {
				t.Errorf("PUT %s %s = %d, want 400 or 404", b.path, b.body, code)
			}
		}
		if l, _ := s.links.Get(context.Background(), "st-1"); l.Profile != LowBandwidth {
			t.Errorf("profile after bad requests: %s", l.Profile)
		}
	})
}

func TestStationLinkEndpointsByRole(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite(t))
	cases := []struct {
		method, path, body string
		allowed            string
	}{
		{"GET", "/api/v1/admin/stations/st-1/link", "", "admin"},
		{"PUT", "/api/v1/admin/stations/st-1/link", `{"profile":"low_bandwidth"}`, "admin"},
		{"GET", "/api/v1/station/link-probe?bytes=1000", "", "station"},
		{"POST", "/api/v1/station/link-probe", "xxxx", "station"},
	}
	for _, c := range cases {
		for _, token := range []string{"", "forged", "admin", "supervisor", "agent", "station"} {
			code, _ := s.do(t, c.method, c.path, token, c.body)
			want := 403
			switch token {
			case "", "forged":
				want = 401
			case c.allowed:
				want = 200
			}
			if code != want {
				t.Errorf("%s %s as %q = %d, want %d", c.method, c.path, token, code, want)
			}
		}
	}
	if l, _ := s.links.Get(context.Background(), "st-1"); l.Profile != LowBandwidth {
		t.Errorf("only the admin's change should have landed: %s", l.Profile)
	}
}

// The probe sends what was asked, within bounds, and takes at most its bound.
func TestLinkProbeBounds(t *testing.T) {
	s := newServer(t, storetest.OpenSQLite(t))
	if code, body := s.do(t, "GET", "/api/v1/station/link-probe?bytes=32768", "station", ""); code != 200 || len(body) != 32768 {
		t.Errorf("probe down: %d, %d bytes", code, len(body))
	}
	for _, q := range []string{"0", "-1", "x", "999999999"} {
		if code, _ := s.do(t, "GET", "/api/v1/station/link-probe?bytes="+q, "station", ""); code != 400 {
			t.Errorf("bytes=%s = %d, want 400", q, code)
		}
	}
	if code, body := s.do(t, "POST", "/api/v1/station/link-probe", "station", strings.Repeat("x", 16384)); code != 200 || !strings.Contains(body, `"bytes":16384`) {
		t.Errorf("probe up: %d %s", code, body)
	}
	if code, _ := s.do(t, "POST", "/api/v1/station/link-probe", "station", strings.Repeat("x", MaxProbeBytes+1)); code != 413 {
		t.Errorf("oversized probe = %d, want 413", code)
	}
}

func TestCheckValidationAndGrade(t *testing.T) {
	if err := (Check{RTTMs: -1}).Validate(); err == nil {
		t.Error("negative rtt accepted")
	}
	if err := (Check{LossPct: 101}).Validate(); err == nil {
		t.Error("loss over 100 % accepted")
	}
	cases := []struct {
		c    Check
		want string
	}{
		{Check{RTTMs: 40, DownKbps: 5000, UpKbps: 2000}, "good"},
		{Check{RTTMs: 80, LossPct: 1, DownKbps: 1000, UpKbps: 512}, "fair"},  // island-4g
		{Check{RTTMs: 300, LossPct: 5, DownKbps: 256, UpKbps: 256}, "poor"},  // island-weak
		{Check{RTTMs: 300, LossPct: 20, DownKbps: 256, UpKbps: 256}, "poor"}, // island-bad
	}
	for _, tc := range cases {
		if got := tc.c.Quality(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.c, got, tc.want)
		}
	}
	l := NewStore(storetest.OpenSQLite(t))
	if err := l.SaveCheck(context.Background(), "st-1", Check{At: time.Now(), LossPct: -2}); err == nil {
		t.Error("a bad check was saved")
	}
}

// The demo's island station is marked at start, once: an admin's later
// change is kept across restarts.
func TestSeedDemoMarksIsland1Once(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		addAccount(t, db, "is-1", "island1", "station")
		s := NewStore(db)
		ctx := context.Background()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.Get(ctx, "is-1"); l.Profile != LowBandwidth {
			t.Fatalf("island1 after seeding: %s", l.Profile)
		}
		if err := s.SetProfile(ctx, "is-1", Standard); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if l, _ := s.Get(ctx, "is-1"); l.Profile != Standard {
			t.Errorf("seeding again overrode the admin's change: %s", l.Profile)
		}
	})
}
