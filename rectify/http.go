package rectify

import (
	"net/http"
	"strings"

	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Routes registers the rectification API on mux, for supervisors and
// admins only:
//
//	GET  /api/v1/rectifications?status=open,in_progress   the list (all statuses when none)
//	GET  /api/v1/rectifications/{callID}                  one, with its steps
//	POST /api/v1/rectifications/{callID}                  {status, note}: move it on
func (s *Service) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	overseers := []identity.Role{identity.RoleSupervisor, identity.RoleAdmin}
	mux.HandleFunc("GET /api/v1/rectifications", httpapi.Require(v, s.serveList, overseers...))
	mux.HandleFunc("GET /api/v1/rectifications/{callID}", httpapi.Require(v, s.serveGet, overseers...))
	mux.HandleFunc("POST /api/v1/rectifications/{callID}", httpapi.Require(v, s.serveUpdate, overseers...))
}

func (s *Service) serveList(w http.ResponseWriter, r *http.Request) {
	var statuses []Status
	if q := r.URL.Query().Get("status"); q != "" {
		for _, st := range strings.Split(q, ",") {
			statuses = append(statuses, Status(strings.TrimSpace(st)))
		}
	}
	list, err := s.List(r.Context(), statuses...)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Rectification{"rectifications": list})
}

func (s *Service) serveGet(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Get(r.Context(), r.PathValue("callID"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, rc)
}

// updateRequest is the body of POST /api/v1/rectifications/{callID}.
type updateRequest struct {
	Status Status `json:"status"`
	Note   string `json:"note"`
}

func (s *Service) serveUpdate(w http.ResponseWriter, r *http.Request) {
	var in updateRequest
	if !httpapi.DecodeJSON(w, r, &in, 16<<10) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	rc, err := s.Update(r.Context(), r.PathValue("callID"), in.Status, in.Note, actor)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, rc)
}

// errorCodes are the rectification errors a client is told about.
var errorCodes = []httpapi.ErrorCode{
	{Err: ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: ErrInvalid, Status: http.StatusBadRequest, Code: "invalid"},
	{Err: ErrConflict, Status: http.StatusConflict, Code: "conflict"},
}

func (s *Service) writeError(w http.ResponseWriter, err error) {
	httpapi.WriteErrorFrom(w, s.log, err, errorCodes, "rectification request")
}
