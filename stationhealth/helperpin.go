package stationhealth

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"time"

	"cloudwindow/audit"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Wrong PINs a station may try within pinWindow before it must wait.
const (
	pinFailures = 5
	pinWindow   = 10 * time.Minute
)

// HelperPIN checks the PIN that opens a kiosk's self-check screen for the
// station's helper (帮办员). The PIN is a node setting (--helper-pin) and
// never leaves the server; a station that guesses wrong pinFailures times
// waits out pinWindow.
type HelperPIN struct {
	pin   string
	audit *audit.Log

	mu       sync.Mutex
	failures map[string][]time.Time // station id → recent wrong tries
}

// NewHelperPIN returns a checker for pin; an empty pin keeps the
// self-check closed.
func NewHelperPIN(pin string, log *audit.Log) *HelperPIN {
	return &HelperPIN{pin: pin, audit: log, failures: map[string][]time.Time{}}
}

// Routes serves POST /api/v1/station/helper-pin {"pin"} to stations: 200
// when the PIN is right, 403 wrong_pin, 404 not_configured, 429
// too_many_tries.
func (h *HelperPIN) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	mux.HandleFunc("POST /api/v1/station/helper-pin", httpapi.Require(v, h.check, identity.RoleStation))
}

func (h *HelperPIN) check(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PIN string `json:"pin"`
	}
	if !httpapi.DecodeJSON(w, r, &body, 1024) {
		return
	}
	id, _ := httpapi.IdentityFrom(r.Context())
	if h.pin == "" {
		httpapi.WriteError(w, http.StatusNotFound, "not_configured", "no helper PIN is set on the server (--helper-pin)")
		return
	}
	now := time.Now()
	if !h.mayTry(id.AccountID, now) {
		httpapi.WriteError(w, http.StatusTooManyRequests, "too_many_tries", "too many wrong PINs; try again in 10 minutes")
		return
	}
	ok := subtle.ConstantTimeCompare([]byte(body.PIN), []byte(h.pin)) == 1
	action := "station.selfcheck.open"
	if !ok {
		h.failed(id.AccountID, now)
		action = "station.selfcheck.refused"
	}
	h.audit.Record(r.Context(), id, action, "station", id.AccountID, httpapi.ClientIP(r), "")
	if !ok {
		httpapi.WriteError(w, http.StatusForbidden, "wrong_pin", "the PIN is not right")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (h *HelperPIN) recent(station string, now time.Time) []time.Time {
	kept := h.failures[station][:0]
	for _, at := range h.failures[station] {
		if now.Sub(at) < pinWindow {
			kept = append(kept, at)
		}
	}
	if len(kept) == 0 {
		delete(h.failures, station)
		return nil
	}
	h.failures[station] = kept
	return kept
}

func (h *HelperPIN) mayTry(station string, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.recent(station, now)) < pinFailures
}

func (h *HelperPIN) failed(station string, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures[station] = append(h.recent(station, now), now)
}
