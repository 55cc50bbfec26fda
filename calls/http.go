package calls

import (
	"net/http"
	"time"

	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// liveWindow bounds what counts as a running call (see Live).
const liveWindow = 12 * time.Hour

// Routes serves GET /api/v1/calls/live to supervisors and admins: the calls
// they may watch (monitor.start) right now.
func (s *Store) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	mux.HandleFunc("GET /api/v1/calls/live", httpapi.Require(v, func(w http.ResponseWriter, r *http.Request) {
		live, err := s.Live(r.Context(), liveWindow)
		if err != nil {
			httpapi.WriteError(w, http.StatusInternalServerError, "internal", "could not list live calls")
			return
		}
		httpapi.WriteJSON(w, http.StatusOK, map[string][]Call{"calls": live})
	}, identity.RoleSupervisor, identity.RoleAdmin))
}
