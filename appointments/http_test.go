package appointments

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/identity"
)

func TestHTTPAuthorisesByRole(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.clock.Set(at(0, 8, 0))
		mux := http.NewServeMux()
		e.svc.Routes(mux, authtest.Tokens{"st": station1, "ag": agent1, "su": supervisor1,
			"ad": identity.Identity{AccountID: "ad-1", Username: "admin", Role: identity.RoleAdmin}})
		srv := httptest.NewServer(mux)
		t.Cleanup(srv.Close)
		call := func(token, method, path, body string) int {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		sc := `{"agent_id":"ag-1","skill_group":"elderly","weekday":1,"start":"09:00","end":"10:00","capacity":1}`
		tests := []struct {
			token, method, path, body string
			want                      int
		}{
			{"st", "POST", "/api/v1/appointments/schedules", sc, http.StatusForbidden},
			{"ag", "POST", "/api/v1/appointments/schedules", sc, http.StatusForbidden},
			{"su", "POST", "/api/v1/appointments/schedules", sc, http.StatusCreated},
			{"su", "POST", "/api/v1/appointments/schedules", `{"agent_id":"ag-1"}`, http.StatusBadRequest},
			{"st", "GET", "/api/v1/appointments/day", "", http.StatusForbidden},
			{"ag", "GET", "/api/v1/appointments/day", "", http.StatusForbidden},
			{"ad", "GET", "/api/v1/appointments/day?date=2026-11-30", "", http.StatusOK},
			{"su", "GET", "/api/v1/appointments/day?date=30.11", "", http.StatusBadRequest},
			{"su", "POST", "/api/v1/appointments", `{"item_id":"ts-elderly","at":"2026-11-30T09:00:00+08:00","name":"王","phone_last4":"1234"}`, http.StatusForbidden},
			{"ag", "GET", "/api/v1/appointments/due", "", http.StatusForbidden},
			{"ag", "POST", "/api/v1/appointments/cancel", `{"code":"AAAAAA"}`, http.StatusForbidden},
			{"", "GET", "/api/v1/appointments/slots?item_id=ts-elderly", "", http.StatusUnauthorized},
			{"st", "GET", "/api/v1/appointments/slots?item_id=ts-elderly", "", http.StatusOK},
			{"st", "POST", "/api/v1/appointments", `{"item_id":"ts-elderly","at":"2026-11-30T09:00:00+08:00","name":"王小明","phone_last4":"1234"}`, http.StatusCreated},
			{"st", "POST", "/api/v1/appointments", `{"item_id":"ts-elderly","at":"2026-11-30T09:00:00+08:00","name":"李四","phone_last4":"5678"}`, http.StatusConflict},
			{"st", "POST", "/api/v1/appointments/cancel", `{"code":"AAAAAA","phone_last4":"1234"}`, http.StatusNotFound},
		}
		for _, tc := range tests {
			if got := call(tc.token, tc.method, tc.path, tc.body); got != tc.want {
				t.Errorf("%s %s %s as %q: %d, want %d", tc.method, tc.path, tc.body, tc.token, got, tc.want)
			}
		}
		// The supervisor's view of the day is audited and shows no full name.
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/appointments/day?date=2026-11-30", nil)
		req.Header.Set("Authorization", "Bearer su")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		var day DayView
		if err := json.Unmarshal(buf.Bytes(), &day); err != nil || len(day.Bookings) != 1 || strings.Contains(buf.String(), "王小明") {
			t.Fatalf("day view (%v): %s", err, buf.String())
		}
		if len(day.ByGroup) != 1 || day.ByGroup[0].Booked != 1 {
			t.Errorf("by group: %+v", day.ByGroup)
		}
		entries, _ := e.audit.List(t.Context(), audit.Filter{ActorID: supervisor1.AccountID})
		if len(entries) == 0 {
			t.Errorf("supervisor's views were not audited")
		}
	})
}
