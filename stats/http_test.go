package stats

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/identity"
	"cloudwindow/store/storetest"
)

func newTestServer(t *testing.T, s *Service) *httptest.Server {
	t.Helper()
	tokens := authtest.Tokens{
		"sup": boss,
		"adm": {AccountID: "ad-1", Username: "admin", Role: identity.RoleAdmin},
		"agt": {AccountID: "a1", Username: "wang", Role: identity.RoleAgent},
		"sta": {AccountID: "s1", Username: "station1", Role: identity.RoleStation},
	}
	mux := http.NewServeMux()
	s.Routes(mux, tokens)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, token, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	must(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	must(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return resp, body
}

func TestOnlySupervisorsAndAdminsSeeStatistics(t *testing.T) {
	db := storetest.OpenSQLite(t)
	srv := newTestServer(t, newTestService(db))
	paths := []string{"/api/v1/stats?period=month", "/api/v1/stats/export?format=xlsx", "/api/v1/stats/export?format=csv&by=agent"}
	for _, path := range paths {
		for tok, want := range map[string]int{"sup": 200, "adm": 200, "agt": 403, "sta": 403, "nobody": 401} {
			if resp, body := get(t, srv, tok, path); resp.StatusCode != want {
				t.Errorf("%s as %s: %d %s, want %d", path, tok, resp.StatusCode, body, want)
			}
		}
	}
	entries, err := audit.New(db).List(context.Background(), audit.Filter{})
	must(t, err)
	exports := 0
	for _, e := range entries {
		if e.Action == "stats.export" {
			exports++
		}
	}
	if exports != 4 { // two exports each by the supervisor and the admin; none for the refused
		t.Errorf("%d exports audited, want 4", exports)
	}
}

func TestBadQueriesAreRefused(t *testing.T) {
	srv := newTestServer(t, newTestService(storetest.OpenSQLite(t)))
	for path, code := range map[string]string{
		"/api/v1/stats?period=year":                                 "bad_period",
		"/api/v1/stats?period=custom&from=2026-11-30&to=2026-11-01": "bad_period",
		"/api/v1/stats?period=day&date=tomorrow":                    "bad_period",
		"/api/v1/stats/export?format=pdf":                           "bad_export",
		"/api/v1/stats/export?format=csv&by=resident":               "bad_export",
	} {
		resp, body := get(t, srv, "sup", path)
		var e struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal(body, &e)
		if resp.StatusCode != http.StatusBadRequest || e.Error.Code != code || e.Error.Message == "" {
			t.Errorf("%s: %d %s, want 400 %s", path, resp.StatusCode, body, code)
		}
	}
}

func TestJSONReport(t *testing.T) {
	db := storetest.OpenSQLite(t)
	seed(t, db, knownCalls, knownAbandoned)
	srv := newTestServer(t, newTestService(db))
	resp, body := get(t, srv, "sup", "/api/v1/stats?period=custom&from=2026-11-01&to=2026-11-30")
	var rep Report
	if err := json.Unmarshal(body, &rep); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s %v", resp.StatusCode, body, err)
	}
	if rep.Total != wantTotal {
		t.Errorf("total\n got %+v\nwant %+v", rep.Total, wantTotal)
	}
}

func TestXLSXExport(t *testing.T) {
	db := storetest.OpenSQLite(t)
	seed(t, db, knownCalls, knownAbandoned)
	srv := newTestServer(t, newTestService(db))
	resp, body := get(t, srv, "sup", "/api/v1/stats/export?format=xlsx&period=month&date=2026-11-01")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Disposition"), "2026-11-01_2026-11-30.xlsx") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	x, err := excelize.OpenReader(bytes.NewReader(body))
	must(t, err)
	defer x.Close()
	if got := strings.Join(x.GetSheetList(), ","); got != "总览,按站点,按事项,按类别,按坐席" {
		t.Errorf("sheets %s", got)
	}
	cells := map[string]map[string]string{
		"总览":  {"B1": "2026-11-01 – 2026-11-30", "A2": "名称", "B2": "请求数", "A3": "合计", "B3": "10", "C3": "8", "D3": "2", "F3": "50", "I3": "100", "V3": "33.3", "Z3": "2"},
		"按站点": {"A1": "名称", "B1": "海岛", "C1": "请求数", "A2": "东海社区远程帮办点", "B2": "", "C2": "6", "A3": "鲁家峙岛远程帮办点", "B3": "海岛 island", "C3": "4"},
		"按坐席": {"A2": "王芳", "B2": "5", "A3": "李明", "B3": "3", "D3": "0"},
		"按类别": {"A2": "医保", "A3": "社保", "W3": "2", "X3": "1"},
	}
	for _, sheet := range x.GetSheetList() {
		rows, err := x.GetRows(sheet)
		must(t, err)
		for _, r := range rows {
			for _, v := range r {
				if v == "s1" || v == "s2" || v == "a1" || v == "a2" || strings.HasPrefix(v, "c") && len(v) <= 3 {
					t.Errorf("%s holds the id %q: exports carry names only", sheet, v)
				}
			}
		}
	}
	for sheet, want := range cells {
		for cell, v := range want {
			got, err := x.GetCellValue(sheet, cell)
			if err != nil || got != v {
				t.Errorf("%s!%s = %q (%v), want %q", sheet, cell, got, err, v)
			}
		}
	}
}

func TestCSVExport(t *testing.T) {
	db := storetest.OpenSQLite(t)
	seed(t, db, knownCalls, knownAbandoned)
	srv := newTestServer(t, newTestService(db))
	resp, body := get(t, srv, "adm", "/api/v1/stats/export?format=csv&by=station&period=month&date=2026-11-30")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%d %v", resp.StatusCode, resp.Header)
	}
	rest, ok := bytes.CutPrefix(body, []byte("\xef\xbb\xbf"))
	if !ok {
		t.Fatalf("no UTF-8 byte-order mark: % x", body[:4])
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	must(t, err)
	if len(rows) != 3 {
		t.Fatalf("%d rows: %v", len(rows), rows)
	}
	want := [][]string{
		{"名称", "海岛", "请求数", "接通数", "放弃数", "30秒内接通", "服务水平%"},
		{"东海社区远程帮办点", "", "6", "5", "1", "3", "50"},
		{"鲁家峙岛远程帮办点", "海岛 island", "4", "3", "1", "2", "50"},
	}
	for i, w := range want {
		if got := strings.Join(rows[i][:len(w)], "|"); got != strings.Join(w, "|") {
			t.Errorf("row %d: %s, want %s", i, got, strings.Join(w, "|"))
		}
	}
	_, body = get(t, srv, "adm", "/api/v1/stats/export?format=csv&by=total&lang=en&period=month&date=2026-11-30")
	rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))).ReadAll()
	must(t, err)
	if len(rows) != 2 || rows[0][1] != "Requests" || rows[1][1] != "10" || rows[1][7] != "33.8" {
		t.Errorf("totals in English: %v", rows)
	}
}
