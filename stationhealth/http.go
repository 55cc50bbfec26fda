package stationhealth

import (
	"net/http"
	"time"

	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Routes serves GET /api/v1/stations/health to supervisors and admins: every
// station, online or offline since when, its devices and app version.
func (s *Store) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	mux.HandleFunc("GET /api/v1/stations/health", httpapi.Require(v, func(w http.ResponseWriter, r *http.Request) {
		list, err := s.List(r.Context(), time.Now())
		if err != nil {
			httpapi.WriteError(w, http.StatusInternalServerError, "internal", "could not list stations")
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string][]Station{"stations": list})
	}, identity.RoleSupervisor, identity.RoleAdmin))
}
