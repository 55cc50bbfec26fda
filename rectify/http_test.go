package rectify

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/identity"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

func newTestServer(t *testing.T, s *Service) *httptest.Server {
	t.Helper()
	admin := identity.Identity{AccountID: "ad-1", Username: "admin", Role: identity.RoleAdmin}
	tokens := authtest.Tokens{"sup": supervisor, "adm": admin, "agt": agent, "sta": station}
	mux := http.NewServeMux()
	s.Routes(mux, tokens)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, srv *httptest.Server, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestHTTPOnlyOverseersFollowUp(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _, _ := newTestService(t, db)
		if _, err := s.Open(ctx, rating("c1", 1), station); err != nil {
			t.Fatal(err)
		}
		srv := newTestServer(t, s)
		for _, tok := range []string{"agt", "sta"} {
			for _, req := range [][3]string{
				{"GET", "/api/v1/rectifications", ""},
				{"GET", "/api/v1/rectifications/c1", ""},
				{"POST", "/api/v1/rectifications/c1", `{"status":"fixed","note":"x"}`},
			} {
				if code, _ := send(t, srv, tok, req[0], req[1], req[2]); code != http.StatusForbidden {
					t.Errorf("%s %s %s: %d, want 403", tok, req[0], req[1], code)
				}
			}
		}
		if r, _ := s.Get(ctx, "c1"); r.Status != StatusOpen {
			t.Fatalf("refused requests changed the rectification: %s", r.Status)
		}
		if code, body := send(t, srv, "adm", "GET", "/api/v1/rectifications?status=open", ""); code != http.StatusOK ||
			len(body["rectifications"].([]any)) != 1 {
			t.Errorf("admin list: %d %v", code, body)
		}
	})
}

func TestHTTPListFilterTakesEachKnownStatusOnce(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s, _, _ := newTestService(t, db)
		if _, err := s.Open(context.Background(), rating("c1", 1), station); err != nil {
			t.Fatal(err)
		}
		srv := newTestServer(t, s)
		flood := strings.TrimSuffix(strings.Repeat("open,", 40000), ",")
		for _, tc := range []struct {
			name, query string
			want        int
		}{
			{"40,000 values", flood, http.StatusBadRequest},
			{"a repeated status", "open,open", http.StatusBadRequest},
			{"an unknown status", "open,closed", http.StatusBadRequest},
			{"each known status once", "open,in_progress,fixed", http.StatusOK},
		} {
			code, body := send(t, srv, "sup", "GET", "/api/v1/rectifications?status="+tc.query, "")
			if code != tc.want {
				t.Errorf("%s: %d %v, want %d", tc.name, code, body, tc.want)
			}
			if code == http.StatusBadRequest && body["error"].(map[string]any)["code"] != "invalid" {
				t.Errorf("%s: error %v, want code invalid", tc.name, body)
			}
		}
	})
}

func TestHTTPUpdate(t *testing.T) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, log, _ := newTestService(t, db)
		if _, err := s.Open(ctx, rating("c1", 2), station); err != nil {
			t.Fatal(err)
		}
		srv := newTestServer(t, s)
		steps := []struct {
			name, path, body string
			want             int
		}{
			{"bad json", "/api/v1/rectifications/c1", `{"status":`, http.StatusBadRequest},
			{"unknown field", "/api/v1/rectifications/c1", `{"state":"fixed"}`, http.StatusBadRequest},
			{"close without a note", "/api/v1/rectifications/c1", `{"status":"fixed"}`, http.StatusBadRequest},
			{"no such call", "/api/v1/rectifications/nope", `{"status":"in_progress"}`, http.StatusNotFound},
			{"start", "/api/v1/rectifications/c1", `{"status":"in_progress","note":"已联系坐席"}`, http.StatusOK},
			{"back to open", "/api/v1/rectifications/c1", `{"status":"open"}`, http.StatusBadRequest},
			{"close", "/api/v1/rectifications/c1", `{"status":"fixed","note":"已回访，居民认可"}`, http.StatusOK},
		}
		for _, st := range steps {
			if code, body := send(t, srv, "sup", "POST", st.path, st.body); code != st.want {
				t.Errorf("%s: %d %v, want %d", st.name, code, body, st.want)
			}
		}
		code, body := send(t, srv, "sup", "GET", "/api/v1/rectifications/c1", "")
		if code != http.StatusOK || body["status"] != "fixed" || body["owner_name"] != "张主管" || len(body["steps"].([]any)) != 3 {
			t.Errorf("after closing: %d %v", code, body)
		}
		entries, err := log.List(ctx, audit.Filter{ObjectID: "c1"})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]bool{}
		for _, e := range entries {
			actions[e.Action] = true
		}
		for _, a := range []string{"rectification.open", "rectification.in_progress", "rectification.fixed"} {
			if !actions[a] {
				t.Errorf("no audit entry %s in %v", a, actions)
			}
		}
		if len(entries) != 3 {
			t.Errorf("%d audit entries, want 3 (refused changes are not changes)", len(entries))
		}
	})
}
