package authhttp

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestLoginEndpoint(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		if err := e.auth.SetDisabled(t.Context(), mustID(t, e, "agent2"), true); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name       string
			body       any
			wantStatus int
			wantCode   string
		}{
			{"agent", map[string]string{"username": "agent1", "password": "demo"}, http.StatusOK, ""},
			{"station device", map[string]string{"username": "island1", "password": "demo"}, http.StatusOK, ""},
			{"wrong password", map[string]string{"username": "agent1", "password": "nope"}, http.StatusUnauthorized, "bad_credentials"},
			{"unknown user", map[string]string{"username": "ghost", "password": "nope"}, http.StatusUnauthorized, "bad_credentials"},
			{"disabled", map[string]string{"username": "agent2", "password": "demo"}, http.StatusForbidden, "account_disabled"},
			{"missing password", map[string]string{"username": "agent1"}, http.StatusBadRequest, "invalid"},
			{"unknown field", `{"username":"agent1","password":"demo","admin":true}`, http.StatusBadRequest, "bad_json"},
			{"not JSON", `username=agent1`, http.StatusBadRequest, "bad_json"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.call(t, "POST", "/api/v1/auth/login", "", tt.body)
				if res.status != tt.wantStatus || res.errorCode() != tt.wantCode {
					t.Fatalf("got %d %s", res.status, res.raw)
				}
				if tt.wantStatus != http.StatusOK {
					return
				}
				for _, field := range []string{"token", "refresh_token", "role", "expires_at"} {
					if v, _ := res.body[field].(string); v == "" {
						t.Errorf("response lacks %q: %s", field, res.raw)
					}
				}
			})
		}
		unknown := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "ghost", "password": "x"})
		wrong := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "agent1", "password": "x"})
		if unknown.raw != wrong.raw {
			t.Fatalf("unknown user and wrong password answer differently:\n%s\n%s", unknown.raw, wrong.raw)
		}
	})
}

func TestLoginRateLimitAnswers429(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		for i := range 6 { // 5 free failures, the 6th starts a delay
			res := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "station1", "password": "guess"})
			if res.status != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d %s", i, res.status, res.raw)
			}
		}
		res := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "station1", "password": "demo"})
		if res.status != http.StatusTooManyRequests || res.errorCode() != "rate_limited" {
			t.Fatalf("after 6 failures from one address: %d %s", res.status, res.raw)
		}
		if secs, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || secs < 1 || secs > 300 {
			t.Fatalf("Retry-After = %q", res.header.Get("Retry-After"))
		}
	})
}

func TestRefreshLogoutAndMe(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		login := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "agent1", "password": "demo"})
		refreshToken, _ := login.body["refresh_token"].(string)

		res := e.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refreshToken})
		newToken, _ := res.body["token"].(string)
		newRefresh, _ := res.body["refresh_token"].(string)
		if res.status != http.StatusOK || newToken == "" || newRefresh == refreshToken {
			t.Fatalf("refresh: %d %s", res.status, res.raw)
		}

		me := e.call(t, "GET", "/api/v1/me", newToken, nil)
		if me.status != http.StatusOK || me.body["username"] != "agent1" || me.body["role"] != "agent" || me.body["display_name"] != "王芳" {
			t.Fatalf("me: %d %s", me.status, me.raw)
		}
		if res := e.call(t, "GET", "/api/v1/me", "", nil); res.status != http.StatusUnauthorized {
			t.Fatalf("me without a token: %d", res.status)
		}

		if res := e.call(t, "POST", "/api/v1/auth/logout", "", map[string]string{"refresh_token": newRefresh}); res.status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": newRefresh}); res.status != http.StatusUnauthorized {
			t.Fatalf("refresh after logout: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "GET", "/api/v1/me", newToken, nil); res.status != http.StatusUnauthorized || res.errorCode() != "session_ended" {
			t.Fatalf("access token after logout: %d %s", res.status, res.raw)
		}
	})
}

// A replayed refresh token was stolen: the whole session it belongs to
// ends, the thief's and the owner's newer tokens alike.
func TestRefreshTokenReplayEndsTheSession(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		login := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "agent1", "password": "demo"})
		r0, _ := login.body["refresh_token"].(string)
		res := e.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r0})
		a1, _ := res.body["token"].(string)
		r1, _ := res.body["refresh_token"].(string)
		other := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "agent1", "password": "demo"})
		otherToken, _ := other.body["token"].(string)

		if res := e.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r0}); res.status != http.StatusUnauthorized {
			t.Fatalf("replayed R0: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r1}); res.status != http.StatusUnauthorized {
			t.Fatalf("R1 after R0 was replayed: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "GET", "/api/v1/me", a1, nil); res.status != http.StatusUnauthorized || res.errorCode() != "session_ended" {
			t.Fatalf("access token of the replayed session: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "GET", "/api/v1/me", otherToken, nil); res.status != http.StatusOK {
			t.Fatalf("another session of the account: %d %s", res.status, res.raw)
		}
	})
}

func TestAdminEndpointsNeedAdminRole(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		endpoints := []struct{ method, path, body string }{
			{"GET", "/api/v1/admin/accounts", ""},
			{"POST", "/api/v1/admin/accounts", `{"username":"x9","display_name":"x","role":"supervisor"}`},
			{"PATCH", "/api/v1/admin/accounts/" + mustID(t, e, "agent1"), `{"disabled":true}`},
			{"GET", "/api/v1/admin/stations", ""},
			{"POST", "/api/v1/admin/stations", `{"username":"k9","name":"站","region":"区"}`},
			{"GET", "/api/v1/admin/audit", ""},
		}
		callers := []struct {
			name       string
			token      string
			wantStatus int
		}{
			{"anonymous", "", http.StatusUnauthorized},
			{"forged token", "not.a.token", http.StatusUnauthorized},
			{"station", e.login(t, "station1"), http.StatusForbidden},
			{"agent", e.login(t, "agent1"), http.StatusForbidden},
			{"supervisor", e.login(t, "supervisor1"), http.StatusForbidden},
		}
		before := e.accountCount(t)
		for _, c := range callers {
			for _, ep := range endpoints {
				var body any
				if ep.body != "" {
					body = ep.body
				}
				if res := e.call(t, ep.method, ep.path, c.token, body); res.status != c.wantStatus {
					t.Errorf("%s %s %s: %d %s, want %d", c.name, ep.method, ep.path, res.status, res.raw, c.wantStatus)
				}
			}
		}
		if after := e.accountCount(t); after != before {
			t.Fatalf("refused callers created accounts: %d before, %d after", before, after)
		}
		if got, err := e.auth.AccountByUsername(t.Context(), "agent1"); err != nil || got.Disabled {
			t.Fatalf("a refused caller disabled agent1: %+v %v", got, err)
		}
		admin := e.login(t, "admin")
		for _, path := range []string{"/api/v1/admin/accounts", "/api/v1/admin/stations", "/api/v1/admin/audit"} {
			if res := e.call(t, "GET", path, admin, nil); res.status != http.StatusOK {
				t.Errorf("admin GET %s: %d %s", path, res.status, res.raw)
			}
		}
	})
}

func TestNoPasswordHashInResponses(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		admin := e.login(t, "admin")
		for _, path := range []string{"/api/v1/admin/accounts", "/api/v1/admin/stations", "/api/v1/me"} {
			res := e.call(t, "GET", path, admin, nil)
			if strings.Contains(res.raw, "$2a$") || strings.Contains(res.raw, "password") {
				t.Errorf("%s leaks password data: %s", path, res.raw)
			}
		}
	})
}

func mustID(t *testing.T, e *env, username string) string {
	t.Helper()
	a, err := e.auth.AccountByUsername(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
