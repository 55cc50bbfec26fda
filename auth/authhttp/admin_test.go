package authhttp

import (
	"net/http"
	"strings"
	"testing"
)

func TestCreateEndpointsRefuseBadInput(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		admin := e.login(t, "admin")
		tests := []struct {
			name, path, body string
			wantStatus       int
		}{
			{"account: not JSON", "/api/v1/admin/accounts", `{"username":`, http.StatusBadRequest},
			{"account: unknown field", "/api/v1/admin/accounts", `{"username":"a9","display_name":"人","role":"agent","generalist":true,"superuser":true}`, http.StatusBadRequest},
			{"account: station role", "/api/v1/admin/accounts", `{"username":"a9","display_name":"人","role":"station"}`, http.StatusBadRequest},
			{"account: bad role", "/api/v1/admin/accounts", `{"username":"a9","display_name":"人","role":"root"}`, http.StatusBadRequest},
			{"account: bad username", "/api/v1/admin/accounts", `{"username":"a 9","display_name":"人","role":"supervisor"}`, http.StatusBadRequest},
			{"account: no display name", "/api/v1/admin/accounts", `{"username":"a9","role":"supervisor"}`, http.StatusBadRequest},
			{"account: unknown skill", "/api/v1/admin/accounts", `{"username":"a9","display_name":"人","role":"agent","skills":["taxes"]}`, http.StatusBadRequest},
			{"account: short password", "/api/v1/admin/accounts", `{"username":"a9","display_name":"人","role":"supervisor","password":"abc"}`, http.StatusBadRequest},
			{"account: taken username", "/api/v1/admin/accounts", `{"username":"agent1","display_name":"人","role":"supervisor"}`, http.StatusConflict},
			{"station: no region", "/api/v1/admin/stations", `{"username":"k9","name":"站"}`, http.StatusBadRequest},
			{"station: name too long", "/api/v1/admin/stations", `{"username":"k9","name":"` + strings.Repeat("站", 65) + `","region":"区"}`, http.StatusBadRequest},
			{"station: island not a bool", "/api/v1/admin/stations", `{"username":"k9","name":"站","region":"区","island":"yes"}`, http.StatusBadRequest},
			{"station: taken device id", "/api/v1/admin/stations", `{"username":"station1","name":"站","region":"区"}`, http.StatusConflict},
			{"station: body too large", "/api/v1/admin/stations", `{"username":"k9","name":"` + strings.Repeat("x", 70<<10) + `","region":"区"}`, http.StatusRequestEntityTooLarge},
		}
		accounts, audits := e.accountCount(t), e.auditCount(t)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res := e.call(t, "POST", tt.path, admin, tt.body)
				if res.status != tt.wantStatus || res.errorCode() == "" {
					t.Fatalf("got %d %s, want %d with an error code", res.status, res.raw, tt.wantStatus)
				}
			})
		}
		if got := e.accountCount(t); got != accounts {
			t.Fatalf("bad input created accounts: %d before, %d after", accounts, got)
		}
		if got := e.auditCount(t); got != audits {
			t.Fatalf("bad input was audited as a change: %d before, %d after", audits, got)
		}
	})
}

func TestCreateStationAndAgent(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		admin := e.login(t, "admin")
		res := e.call(t, "POST", "/api/v1/admin/stations", admin,
			map[string]any{"username": "zjj-kiosk", "name": "朱家尖远程帮办点", "region": "朱家尖街道", "island": true})
		secret, _ := res.body["password"].(string)
		if res.status != http.StatusCreated || secret == "" {
			t.Fatalf("create station: %d %s", res.status, res.raw)
		}
		station := e.call(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": "zjj-kiosk", "password": secret})
		if station.status != http.StatusOK || station.body["role"] != "station" {
			t.Fatalf("login with the returned secret: %d %s", station.status, station.raw)
		}

		res = e.call(t, "POST", "/api/v1/admin/accounts", admin, map[string]any{
			"username": "agent3", "display_name": "孙丽", "role": "agent", "password": "chosen by admin",
			"skills": []string{"employment"},
		})
		if res.status != http.StatusCreated || res.body["password"] != nil {
			t.Fatalf("create agent with a chosen password: %d %s", res.status, res.raw)
		}

		list := e.call(t, "GET", "/api/v1/admin/stations", admin, nil)
		if !strings.Contains(list.raw, "朱家尖远程帮办点") || strings.Contains(list.raw, "孙丽") {
			t.Fatalf("stations list: %s", list.raw)
		}
		agents := e.call(t, "GET", "/api/v1/admin/accounts?role=agent", admin, nil)
		if !strings.Contains(agents.raw, `"agent3"`) || strings.Contains(agents.raw, "zjj-kiosk") {
			t.Fatalf("agents list: %s", agents.raw)
		}
		if res := e.call(t, "GET", "/api/v1/admin/accounts?role=root", admin, nil); res.status != http.StatusBadRequest {
			t.Fatalf("unknown role filter: %d", res.status)
		}

		audit := e.call(t, "GET", "/api/v1/admin/audit?object_type=account", admin, nil)
		if !strings.Contains(audit.raw, `"station.create"`) || !strings.Contains(audit.raw, `"account.create"`) {
			t.Fatalf("audit log lacks the creations: %s", audit.raw)
		}
		if strings.Contains(audit.raw, secret) || strings.Contains(audit.raw, "chosen by admin") {
			t.Fatalf("audit log holds a password: %s", audit.raw)
		}
	})
}

func TestPatchAccount(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		admin := e.login(t, "admin")
		agentToken := e.login(t, "agent1")
		path := "/api/v1/admin/accounts/" + mustID(t, e, "agent1")
		before := e.auditCount(t)

		bad := []string{
			`{}`,
			`{"skills":["medical_insurance","astrology"],"disabled":true}`,
			`{"disabled":true,"password":"short"}`,
			`{"display_name":""}`,
			`{"role":"admin"}`,
		}
		for _, body := range bad {
			if res := e.call(t, "PATCH", path, admin, body); res.status != http.StatusBadRequest {
				t.Errorf("PATCH %s: %d %s, want 400", body, res.status, res.raw)
			}
		}
		if got, _ := e.auth.AccountByUsername(t.Context(), "agent1"); got.Disabled || got.DisplayName != "王芳" {
			t.Fatalf("a refused change was saved: %+v", got)
		}
		if res := e.call(t, "GET", "/api/v1/me", agentToken, nil); res.status != http.StatusOK {
			t.Fatalf("agent lost access after refused changes: %d", res.status)
		}
		if got := e.auditCount(t); got != before {
			t.Fatalf("refused changes were audited: %d before, %d after", before, got)
		}

		res := e.call(t, "PATCH", path, admin, `{"skills":["housing"],"generalist":true,"disabled":true}`)
		if res.status != http.StatusOK || res.body["disabled"] != true || res.body["generalist"] != true {
			t.Fatalf("valid PATCH: %d %s", res.status, res.raw)
		}
		// Disabled on this node: the agent's token stops at once.
		if res := e.call(t, "GET", "/api/v1/me", agentToken, nil); res.status != http.StatusUnauthorized {
			t.Fatalf("disabled agent's token: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "PATCH", "/api/v1/admin/accounts/no-such-id", admin, `{"disabled":true}`); res.status != http.StatusNotFound {
			t.Fatalf("unknown id: %d %s", res.status, res.raw)
		}
		if res := e.call(t, "PATCH", "/api/v1/admin/accounts/"+mustID(t, e, "admin"), admin, `{"disabled":true}`); res.status != http.StatusConflict {
			t.Fatalf("disabling the last admin: %d %s", res.status, res.raw)
		}

		entries := e.call(t, "GET", "/api/v1/admin/audit?object_id="+mustID(t, e, "agent1"), admin, nil)
		if !strings.Contains(entries.raw, `"account.update"`) || !strings.Contains(entries.raw, "disabled=true") {
			t.Fatalf("audit entry for the change: %s", entries.raw)
		}
	})
}

func TestAuditQueryValidation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		admin := e.login(t, "admin")
		for _, q := range []string{"since=yesterday", "until=2025-13-01T00:00:00Z", "limit=0", "limit=5000", "limit=x",
			"actor_id=" + strings.Repeat("a", 200)} {
			if res := e.call(t, "GET", "/api/v1/admin/audit?"+q, admin, nil); res.status != http.StatusBadRequest {
				t.Errorf("?%s: %d %s, want 400", q, res.status, res.raw)
			}
		}
		res := e.call(t, "GET", "/api/v1/admin/audit?since=2000-01-01T00:00:00Z&limit=10", admin, nil)
		if res.status != http.StatusOK {
			t.Fatalf("valid query: %d %s", res.status, res.raw)
		}
		if _, ok := res.body["entries"].([]any); !ok {
			t.Fatalf("entries must be a list: %s", res.raw)
		}
	})
}
