package catalog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/identity"
)

// fakeVerifier accepts the tokens it maps to identities.
type fakeVerifier = authtest.Tokens

var testTokens = fakeVerifier{
	"station-token": {AccountID: "s1", Username: "station1", Role: identity.RoleStation},
	"agent-token":   {AccountID: "a1", Username: "agent1", Role: identity.RoleAgent, Skills: []string{"medical_insurance"}},
	"admin-token":   {AccountID: "ad1", Username: "admin", Role: identity.RoleAdmin},
}

type apiClient struct {
	t    *testing.T
	base string
	log  *audit.Log
}

// forEachAPI runs fn against the catalog API over a seeded store on every
// test database.
func forEachAPI(t *testing.T, fn func(t *testing.T, c apiClient)) {
	forEachDB(t, func(t *testing.T, s *Service) {
		log := audit.New(s.db)
		mux := http.NewServeMux()
		s.Routes(mux, testTokens, log)
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		fn(t, apiClient{t: t, base: srv.URL, log: log})
	})
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (c apiClient) do(method, path, token, body string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			c.t.Fatalf("%s %s: decode answer: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type errorBody struct {
	Error struct{ Code, Message string } `json:"error"`
}

func (c apiClient) item(id string) Item {
	c.t.Helper()
	var it Item
	if code := c.do("GET", "/api/v1/catalog/"+id, "admin-token", "", &it); code != http.StatusOK {
		c.t.Fatalf("GET item %s: status %d", id, code)
	}
	return it
}

func (c apiClient) auditCount(id string) int {
	c.t.Helper()
	entries, err := c.log.List(context.Background(), audit.Filter{ObjectType: "catalog_item", ObjectID: id})
	if err != nil {
		c.t.Fatal(err)
	}
	return len(entries)
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAPIRequiresAuthentication(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		for _, tc := range []struct{ method, path, token string }{
			{"GET", "/api/v1/catalog", ""},
			{"GET", "/api/v1/catalog", "forged"},
			{"GET", "/api/v1/catalog/mi-001", ""},
			{"PUT", "/api/v1/admin/catalog/mi-001", ""},
			{"POST", "/api/v1/admin/catalog/mi-001/disable", "forged"},
		} {
			var e errorBody
			if code := c.do(tc.method, tc.path, tc.token, "{}", &e); code != http.StatusUnauthorized || e.Error.Code == "" {
				t.Errorf("%s %s with token %q: status %d %+v, want 401 with an error body", tc.method, tc.path, tc.token, code, e)
			}
		}
	})
}

func TestStationReadsCatalog(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		var all listResponse
		if code := c.do("GET", "/api/v1/catalog", "station-token", "", &all); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if all.Version < 1 || len(all.Categories) < 10 || len(all.Items) < 200 {
			t.Fatalf("catalog: version %d, %d categories, %d items", all.Version, len(all.Categories), len(all.Items))
		}

		var found listResponse
		c.do("GET", "/api/v1/catalog?q="+url.QueryEscape("长期护理保险需求评估"), "station-token", "", &found)
		if len(found.Items) != 1 || found.Items[0].ID != "ltc-001" || found.Items[0].SkillGroup != "long_term_care" {
			t.Fatalf("search 长期护理保险需求评估: %+v", found.Items)
		}
		c.do("GET", "/api/v1/catalog?category=disability&q=certificate", "station-token", "", &found)
		if len(found.Items) == 0 {
			t.Fatal("no disability certificate items")
		}
		for _, it := range found.Items {
			if it.Category != "disability" {
				t.Fatalf("category filter let %s (%s) through", it.ID, it.Category)
			}
		}
		c.do("GET", "/api/v1/catalog?q=nothing-matches-this", "station-token", "", &found)
		if found.Items == nil || len(found.Items) != 0 {
			t.Fatalf("no match must be an empty list, got %v", found.Items)
		}

		var it Item
		if code := c.do("GET", "/api/v1/catalog/mi-010", "station-token", "", &it); code != http.StatusOK || it.NameZh != "门诊大病登记" {
			t.Fatalf("GET mi-010: %d %+v", code, it)
		}
		var e errorBody
		if code := c.do("GET", "/api/v1/catalog/mi-999", "station-token", "", &e); code != http.StatusNotFound || e.Error.Code != "not_found" {
			t.Fatalf("GET missing item: %d %+v", code, e)
		}
	})
}

func TestListRejectsBadQueries(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		for _, tc := range []struct {
			query, token string
			status       int
		}{
			{"?category=taxes", "station-token", http.StatusBadRequest},
			{"?q=" + strings.Repeat("医", 51), "station-token", http.StatusBadRequest},
			{"?include_disabled=maybe", "admin-token", http.StatusBadRequest},
			{"?include_disabled=1", "station-token", http.StatusForbidden},
		} {
			var e errorBody
			if code := c.do("GET", "/api/v1/catalog"+tc.query, tc.token, "", &e); code != tc.status || e.Error.Message == "" || e.Error.Code == "invalid_item" {
				t.Errorf("GET %s as %s: %d %+v, want %d with a message", tc.query, tc.token, code, e, tc.status)
			}
		}
	})
}

func TestOnlyAdminsEdit(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		before := c.item("mi-003")
		edit := before
		edit.NameZh = "被坐席修改"
		for _, token := range []string{"agent-token", "station-token"} {
			if code := c.do("PUT", "/api/v1/admin/catalog/mi-003", token, toJSON(t, edit), nil); code != http.StatusForbidden {
				t.Errorf("PUT as %s: status %d, want 403", token, code)
			}
			if code := c.do("POST", "/api/v1/admin/catalog/mi-003/disable", token, "", nil); code != http.StatusForbidden {
				t.Errorf("disable as %s: status %d, want 403", token, code)
			}
			edit.ID = "mi-901"
			if code := c.do("POST", "/api/v1/admin/catalog", token, toJSON(t, edit), nil); code != http.StatusForbidden {
				t.Errorf("create as %s: status %d, want 403", token, code)
			}
			edit.ID = before.ID
		}
		if after := c.item("mi-003"); after.NameZh != before.NameZh || !after.Enabled {
			t.Fatalf("refused edits changed the item: %+v", after)
		}
		if n := c.auditCount("mi-003"); n != 0 {
			t.Fatalf("refused edits were audited as changes: %d entries", n)
		}
	})
}

func TestAdminEditsItem(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		it := c.item("ca-011")
		it.NameZh = "结婚登记预约（含颁证仪式）"
		it.TimeLimitDays = 3
		it.Materials = append(it.Materials, Material{NameZh: "双方近期合影照片", NameEn: "Recent photo of the couple", Required: true})
		var got Item
		if code := c.do("PUT", "/api/v1/admin/catalog/ca-011", "admin-token", toJSON(t, it), &got); code != http.StatusOK {
			t.Fatalf("PUT: status %d", code)
		}
		if got.NameZh != it.NameZh || got.TimeLimitDays != 3 || len(got.Materials) != len(it.Materials) || !got.EditedByAdmin {
			t.Fatalf("PUT answer: %+v", got)
		}
		var seen listResponse
		c.do("GET", "/api/v1/catalog?q="+url.QueryEscape("颁证仪式"), "station-token", "", &seen)
		if len(seen.Items) != 1 || seen.Items[0].ID != "ca-011" || seen.Items[0].TimeLimitDays != 3 {
			t.Fatalf("station does not see the edit: %+v", seen.Items)
		}
		entries, err := c.log.List(context.Background(), audit.Filter{ObjectType: "catalog_item", ObjectID: "ca-011"})
		if err != nil || len(entries) != 1 || entries[0].Action != "catalog.update" || entries[0].ActorName != "admin" ||
			!strings.Contains(entries[0].Detail, "name_zh") || !strings.Contains(entries[0].Detail, "materials") {
			t.Fatalf("audit log: %+v %v", entries, err)
		}

		// Saving the form again unchanged is not an edit.
		if code := c.do("PUT", "/api/v1/admin/catalog/ca-011", "admin-token", toJSON(t, got), nil); code != http.StatusOK {
			t.Fatalf("unchanged PUT: status %d", code)
		}
		if n := c.auditCount("ca-011"); n != 1 {
			t.Fatalf("unchanged PUT was audited: %d entries", n)
		}
	})
}

func TestAdminBadInputChangesNothing(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		before := c.item("em-001")
		body := func(edit func(*Item)) string {
			it := before.clone()
			edit(&it)
			return toJSON(t, it)
		}
		tests := []struct {
			name, path, body string
			status           int
			code             string
		}{
			{"bad json", "/api/v1/admin/catalog/em-001", `{"name_zh": `, http.StatusBadRequest, "bad_json"},
			{"unknown field", "/api/v1/admin/catalog/em-001", `{"name": "失业登记"}`, http.StatusBadRequest, "bad_json"},
			{"wrong type", "/api/v1/admin/catalog/em-001", `{"time_limit_days": "five"}`, http.StatusBadRequest, "bad_json"},
			{"time limit", "/api/v1/admin/catalog/em-001", body(func(it *Item) { it.TimeLimitDays = 61 }), http.StatusBadRequest, "invalid_item"},
			{"empty name", "/api/v1/admin/catalog/em-001", body(func(it *Item) { it.NameZh = "" }), http.StatusBadRequest, "invalid_item"},
			{"unknown category", "/api/v1/admin/catalog/em-001", body(func(it *Item) { it.Category = "tax" }), http.StatusBadRequest, "invalid_item"},
			{"no materials", "/api/v1/admin/catalog/em-001", body(func(it *Item) { it.Materials = []Material{} }), http.StatusBadRequest, "invalid_item"},
			{"id mismatch", "/api/v1/admin/catalog/em-001", body(func(it *Item) { it.ID = "em-002" }), http.StatusBadRequest, "id_mismatch"},
			{"missing item", "/api/v1/admin/catalog/em-999", body(func(it *Item) { it.ID = "" }), http.StatusNotFound, "not_found"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var e errorBody
				if code := c.do("PUT", tt.path, "admin-token", tt.body, &e); code != tt.status || e.Error.Code != tt.code {
					t.Fatalf("status %d %+v, want %d %s", code, e, tt.status, tt.code)
				}
			})
		}
		var e errorBody
		c.do("PUT", "/api/v1/admin/catalog/em-001", "admin-token", body(func(it *Item) { it.TimeLimitDays = 61 }), &e)
		if !strings.Contains(e.Error.Message, "time_limit_days") {
			t.Errorf("message %q does not name the bad field", e.Error.Message)
		}
		if after := c.item("em-001"); after.NameZh != before.NameZh || after.TimeLimitDays != before.TimeLimitDays || after.EditedByAdmin {
			t.Fatalf("bad input changed the item: %+v", after)
		}
		if n := c.auditCount("em-001"); n != 0 {
			t.Fatalf("bad input was audited: %d entries", n)
		}
	})
}

func TestAdminCreatesItem(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		body := `{"id":"ge-900","name_zh":"老年人防诈骗咨询","name_en":"Anti-fraud advice for the elderly","category":"general",
			"mode":"direct","time_limit_days":0,"signature_required":false,
			"materials":[{"name_zh":"居民身份证","name_en":"Resident ID card","required":true}],"guide_zh":"了解情况并告知报警途径。"}`
		var created Item
		if code := c.do("POST", "/api/v1/admin/catalog", "admin-token", body, &created); code != http.StatusCreated {
			t.Fatalf("create: status %d", code)
		}
		if !created.Enabled || created.SkillGroup != "general" || !created.EditedByAdmin {
			t.Fatalf("created item: %+v", created)
		}
		var it Item
		if code := c.do("GET", "/api/v1/catalog/ge-900", "station-token", "", &it); code != http.StatusOK || it.NameZh != "老年人防诈骗咨询" {
			t.Fatalf("station GET new item: %d %+v", code, it)
		}
		var e errorBody
		if code := c.do("POST", "/api/v1/admin/catalog", "admin-token", body, &e); code != http.StatusConflict || e.Error.Code != "exists" {
			t.Fatalf("duplicate create: %d %+v", code, e)
		}
		if code := c.do("POST", "/api/v1/admin/catalog", "admin-token", `{"id":"Bad Id!"}`, &e); code != http.StatusBadRequest || !strings.Contains(e.Error.Message, "id") {
			t.Fatalf("bad id: %d %+v", code, e)
		}
		if n := c.auditCount("ge-900"); n != 1 {
			t.Fatalf("audit entries for ge-900: %d, want 1", n)
		}
	})
}

func TestAdminDisablesAndEnablesItem(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		var it Item
		if code := c.do("POST", "/api/v1/admin/catalog/ho-011/disable", "admin-token", "", &it); code != http.StatusOK || it.Enabled {
			t.Fatalf("disable: %d %+v", code, it)
		}
		if code := c.do("GET", "/api/v1/catalog/ho-011", "station-token", "", nil); code != http.StatusNotFound {
			t.Errorf("station GET disabled item: %d, want 404", code)
		}
		var list listResponse
		c.do("GET", "/api/v1/catalog?category=housing", "station-token", "", &list)
		for _, it := range list.Items {
			if it.ID == "ho-011" {
				t.Error("disabled item listed for a station")
			}
		}
		c.do("GET", "/api/v1/catalog?category=housing&include_disabled=true", "admin-token", "", &list)
		if !hasItem(list.Items, "ho-011") {
			t.Error("admin list misses the disabled item")
		}
		// Disabling twice is harmless and audited once.
		c.do("POST", "/api/v1/admin/catalog/ho-011/disable", "admin-token", "", nil)
		if code := c.do("POST", "/api/v1/admin/catalog/ho-011/enable", "admin-token", "", &it); code != http.StatusOK || !it.Enabled {
			t.Fatalf("enable: %d %+v", code, it)
		}
		if n := c.auditCount("ho-011"); n != 2 {
			t.Errorf("audit entries: %d, want 2 (disable, enable)", n)
		}
		if code := c.do("POST", "/api/v1/admin/catalog/ho-999/enable", "admin-token", "", nil); code != http.StatusNotFound {
			t.Errorf("enable missing item: %d, want 404", code)
		}
	})
}

func hasItem(items []Item, id string) bool {
	for _, it := range items {
		if it.ID == id {
			return true
		}
	}
	return false
}

func TestAdminRequestBodyIsBounded(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		huge := `{"name_zh":"` + string(bytes.Repeat([]byte("医"), 40000)) + `"}`
		if code := c.do("PUT", "/api/v1/admin/catalog/mi-001", "admin-token", huge, nil); code != http.StatusRequestEntityTooLarge {
			t.Fatalf("oversized body: status %d, want 413", code)
		}
	})
}

// The catalog, which every kiosk loads as it starts, reaches a client that
// takes gzip compressed to a fraction of its size, and reads the same.
func TestCatalogGoesCompressed(t *testing.T) {
	forEachAPI(t, func(t *testing.T, c apiClient) {
		get := func(acceptEncoding string) (*http.Response, []byte) {
			req, _ := http.NewRequest("GET", c.base+"/api/v1/catalog", nil)
			req.Header.Set("Authorization", "Bearer station-token")
			if acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", acceptEncoding)
			}
			// A transport that leaves the body as it came.
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET catalog (Accept-Encoding %q): %d, %v", acceptEncoding, resp.StatusCode, err)
			}
			return resp, body
		}
		plainResp, plain := get("")
		zipResp, zipped := get("gzip")
		if plainResp.Header.Get("Content-Encoding") != "" || zipResp.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding %q without gzip asked, %q with", plainResp.Header.Get("Content-Encoding"), zipResp.Header.Get("Content-Encoding"))
		}
		if len(zipped)*3 > len(plain) {
			t.Errorf("the catalog of %d bytes went as %d compressed, want under a third", len(plain), len(zipped))
		}
		zr, err := gzip.NewReader(bytes.NewReader(zipped))
		if err != nil {
			t.Fatal(err)
		}
		inflated, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(inflated, plain) {
			t.Fatalf("the compressed catalog inflates to %d bytes (%v), the plain one is %d", len(inflated), err, len(plain))
		}
	})
}
