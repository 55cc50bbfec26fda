package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// The people and devices of the tests.
var (
	station1    = identity.Identity{AccountID: "st-1", Username: "station1", DisplayName: "东沙村", Role: identity.RoleStation}
	station2    = identity.Identity{AccountID: "st-2", Username: "station2", DisplayName: "西岛村", Role: identity.RoleStation}
	agent1      = identity.Identity{AccountID: "ag-1", Username: "agent1", DisplayName: "王坐席", Role: identity.RoleAgent}
	agent2      = identity.Identity{AccountID: "ag-2", Username: "agent2", DisplayName: "李坐席", Role: identity.RoleAgent}
	supervisor1 = identity.Identity{AccountID: "su-1", Username: "supervisor1", DisplayName: "张主管", Role: identity.RoleSupervisor}
	admin1      = identity.Identity{AccountID: "ad-1", Username: "admin", DisplayName: "管理员", Role: identity.RoleAdmin}
)

// friday is the tests' "now": Friday 20 November 2026, 10:00 UTC.
var friday = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// Catalog items the tests use.
const (
	itemForwarded = "ts-forward" // 5 working days, three materials
	itemOnTheSpot = "ts-spot"    // done on the spot
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// hookLog collects what the service hands to its hooks.
type hookLog struct {
	mu         sync.Mutex
	events     []Event
	forms      []Form
	signatures []Signature
}

func (h *hookLog) eventTypes(caseID string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, e := range h.events {
		if e.CaseID == caseID {
			out = append(out, e.Type)
		}
	}
	return out
}

type env struct {
	db    *store.DB
	svc   *Service
	audit *audit.Log
	calls *calls.Store
	clock *clock
	hooks *hookLog
}

// forEachDB runs fn on every test database (see storetest.ForEachDB).
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	cat := catalog.NewService(db, nil)
	for _, it := range testItems() {
		if err := cat.Create(context.Background(), it); err != nil {
			t.Fatalf("create item %s: %v", it.ID, err)
		}
	}
	e := &env{db: db, audit: audit.New(db), calls: calls.NewStore(db), clock: &clock{t: friday}, hooks: &hookLog{}}
	h := e.hooks
	e.svc = NewService(db, cat, e.audit, e.clock.Now, Options{
		Location:    time.UTC,
		OnEvent:     func(ev Event) { h.mu.Lock(); h.events = append(h.events, ev); h.mu.Unlock() },
		OnForm:      func(f Form) { h.mu.Lock(); h.forms = append(h.forms, f); h.mu.Unlock() },
		OnSignature: func(s Signature) { h.mu.Lock(); h.signatures = append(h.signatures, s); h.mu.Unlock() },
	})
	return e
}

func testItems() []catalog.Item {
	return []catalog.Item{{
		ID: itemForwarded, NameZh: "高龄老人津贴申请", NameEn: "Old-age allowance application", Category: "elderly",
		SkillGroup: "elderly", Mode: catalog.ModeAssisted, TimeLimitDays: 5, SignatureRequired: true, Enabled: true,
		GuideZh: "核对身份证与户口簿",
		Materials: []catalog.Material{
			{NameZh: "居民身份证", NameEn: "Resident ID card", Required: true},
			{NameZh: "户口簿", NameEn: "Household register", Required: true},
			{NameZh: "银行卡", NameEn: "Bank card", Required: false},
		},
	}, {
		ID: itemOnTheSpot, NameZh: "老年综合津贴查询", NameEn: "Senior allowance enquiry", Category: "elderly",
		SkillGroup: "elderly", Mode: catalog.ModeDirect, TimeLimitDays: 0, Enabled: true, GuideZh: "查询发放记录",
		Materials: []catalog.Material{{NameZh: "居民身份证", NameEn: "Resident ID card", Required: true}},
	}}
}

// newCall inserts a call row from station to agent about item.
func (e *env) newCall(t testing.TB, id string, station, agent identity.Identity, item string) calls.Call {
	t.Helper()
	c := calls.Call{
		ID: id, StationID: station.AccountID, StationName: station.DisplayName, AgentID: agent.AccountID,
		AgentName: agent.DisplayName, ItemID: item, ItemName: "事项 " + item, Category: "elderly",
		RequestedAt: e.clock.Now(), AcceptedAt: e.clock.Now(), Node: "n1",
	}
	if err := e.calls.Create(context.Background(), c); err != nil {
		t.Fatalf("create call %s: %v", id, err)
	}
	return c
}

// openCase opens the case of a new call from station1 to agent1.
func (e *env) openCase(t *testing.T, callID, item string) Case {
	t.Helper()
	c, err := e.svc.OpenForCall(context.Background(), e.newCall(t, callID, station1, agent1, item))
	if err != nil {
		t.Fatalf("open case for %s: %v", callID, err)
	}
	return c
}

// auditActions lists the audit log's "actor action" entries on one object,
// sorted: entries of the same millisecond have no order.
func (e *env) auditActions(t *testing.T, objectID string) []string {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{ObjectID: objectID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.ActorID+" "+en.Action)
	}
	slices.Sort(out)
	return out
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

// signaturePNG draws a w×h pad, with a stroke when ink is set.
func signaturePNG(t *testing.T, w, h int, ink bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if ink {
		for x := w / 4; x < 3*w/4; x++ {
			img.Set(x, h/2, color.Black)
			img.Set(x, h/2+1, color.Black)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakeVerifier maps bearer tokens to identities; the token is the username.
type fakeVerifier = authtest.Tokens

// server serves the case API of e.
func (e *env) server(t *testing.T) *httptest.Server {
	t.Helper()
	v := fakeVerifier{}
	for _, id := range []identity.Identity{station1, station2, agent1, agent2, supervisor1, admin1} {
		v[id.Username] = id
	}
	mux := http.NewServeMux()
	e.svc.Routes(mux, v)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

var _ httpapi.Verifier = fakeVerifier{}

// call sends a JSON request as who and decodes the JSON answer into out
// (when not nil), returning the status.
func call(t *testing.T, srv *httptest.Server, method, path string, who identity.Identity, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+who.Username)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode
}
