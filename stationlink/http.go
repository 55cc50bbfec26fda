package stationlink

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"

	"cloudwindow/audit"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// MaxProbeBytes bounds a bandwidth probe each way. A kiosk's check uses far
// less (see station-client/linkcheck.js); the bound keeps the endpoint from
// being a way to load the node.
const MaxProbeBytes = 256 << 10

type handler struct {
	links *Store
	audit *audit.Log
	log   *slog.Logger
}

// Routes serves the admin's view and marking of a station's link, and the
// bandwidth probe the kiosk's pre-call check times:
//
//	GET /api/v1/admin/stations/{id}/link  (admin)   profile and last check
//	PUT /api/v1/admin/stations/{id}/link  (admin)   {"profile": "low_bandwidth"}, audited
//	GET /api/v1/station/link-probe?bytes=N (station) N incompressible bytes
//	POST /api/v1/station/link-probe       (station) a body that is read and dropped
func (s *Store) Routes(mux *http.ServeMux, v httpapi.Verifier, log *audit.Log, logger *slog.Logger) {
	h := &handler{links: s, audit: log, log: logger}
	mux.HandleFunc("GET /api/v1/admin/stations/{id}/link", httpapi.Require(v, h.get, identity.RoleAdmin))
	mux.HandleFunc("PUT /api/v1/admin/stations/{id}/link", httpapi.Require(v, h.set, identity.RoleAdmin))
	mux.HandleFunc("GET /api/v1/station/link-probe", httpapi.Require(v, probeDown, identity.RoleStation))
	mux.HandleFunc("POST /api/v1/station/link-probe", httpapi.Require(v, probeUp, identity.RoleStation))
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	l, err := h.links.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, l)
}

type profileChange struct {
	Profile string `json:"profile"`
}

func (h *handler) set(w http.ResponseWriter, r *http.Request) {
	var c profileChange
	if !httpapi.DecodeJSON(w, r, &c, 1<<10) {
		return
	}
	if err := CheckProfile(c.Profile); err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	id := r.PathValue("id")
	if err := h.links.SetProfile(r.Context(), id, c.Profile); err != nil {
		h.writeError(w, err)
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	ctx := context.WithoutCancel(r.Context())
	if err := h.audit.Record(ctx, actor, "station.link_profile", "account", id, httpapi.RemoteAddr(r), "profile="+c.Profile); err != nil {
		h.log.Error("link profile change not audited", "station", id, "actor", actor.Username, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the change was saved but could not be written to the audit log")
		return
	}
	h.get(w, r)
}

func (h *handler) writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotFound) {
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such station")
		return
	}
	h.log.Error("station link", "err", err)
	httpapi.WriteError(w, http.StatusInternalServerError, "internal", "could not read or change the station's link")
}

// probeDown sends the asked number of random bytes: random so that no
// compression on the way makes the link look faster than it is.
func probeDown(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("bytes"))
	if err != nil || n < 1 || n > MaxProbeBytes {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", "bytes must be 1 to "+strconv.Itoa(MaxProbeBytes))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	buf := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{byte(n)})
	_, _ = rng.Read(buf)
	_, _ = w.Write(buf) // a client that went away ends its own check
}

// probeUp reads and drops the body, and says how much arrived.
func probeUp(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, MaxProbeBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		httpapi.WriteError(w, http.StatusRequestEntityTooLarge, "too_large", "a probe is at most "+strconv.Itoa(MaxProbeBytes)+" bytes")
		return
	} else if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", "the probe did not arrive whole")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]int64{"bytes": n})
}
