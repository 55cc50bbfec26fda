package authhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"cloudwindow/audit"
	"cloudwindow/auth"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// env is a running API with the demo accounts.
type env struct {
	srv   *httptest.Server
	auth  *auth.Service
	audit *audit.Log
}

// forEachDB runs fn on every test database (see storetest.ForEachDB).
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	s, err := auth.NewService(db, auth.Options{BcryptCost: bcrypt.MinCost})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := audit.New(db)
	mux := http.NewServeMux()
	Routes(mux, s, log, nil)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{srv: srv, auth: s, audit: log}
}

// response is a decoded API answer.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// call sends body (a string is sent as is, anything else as JSON) with an
// optional bearer token.
func (e *env) call(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	json.Unmarshal(raw, &out.body)
	return out
}

// login returns an access token for a demo account.
func (e *env) login(t *testing.T, username string) string {
	t.Helper()
	res := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": auth.DemoPassword})
	tok, _ := res.body["token"].(string)
	if res.status != http.StatusOK || tok == "" {
		t.Fatalf("login %s: %d %s", username, res.status, res.raw)
	}
	return tok
}

func (e *env) auditCount(t *testing.T) int {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func (e *env) accountCount(t *testing.T) int {
	t.Helper()
	all, err := e.auth.Accounts(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}
