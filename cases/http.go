package cases

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Routes registers the case API on mux:
//
//	GET  /api/v1/cases/{id}               the case page (its agent, supervisors, admins; audited)
//	GET  /api/v1/calls/{callID}/case      the same, found by call
//	GET  /api/v1/cases?overdue=1          overdue forwarded cases (supervisors, admins)
//	GET  /api/v1/cases/unfinished         open cases whose call ended without wrap-up (an agent's own; supervisors, admins: all)
//	POST /api/v1/cases/{id}/wrapup        wrap up such a case (its agent, supervisors, admins; audited)
//	GET  /api/v1/case-status/{number}     status by the whole case number (any signed-in role; see ByNumber)
//	PUT  /api/v1/cases/{id}/resident      what the resident stated (its agent)
//	POST /api/v1/cases/{id}/complete      the back office finished it (its agent, supervisors, admins)
//	POST /api/v1/cases/{id}/forms         push a confirmation sheet (its agent)
//	GET  /api/v1/cases/{id}/receipt       the printable receipt (its station, agent, supervisors, admins)
//	GET  /api/v1/forms/{id}               a form (its station, agent, supervisors, admins)
//	POST /api/v1/forms/{id}/signature     sign a form (its station only)
//	GET  /api/v1/signatures/{id}/image    a signature's PNG (its agent, supervisors, admins; audited)
func (s *Service) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	mux.HandleFunc("GET /api/v1/cases/{id}", httpapi.Require(v, s.serveCase))
	mux.HandleFunc("GET /api/v1/calls/{callID}/case", httpapi.Require(v, s.serveCallCase))
	mux.HandleFunc("GET /api/v1/cases", httpapi.Require(v, s.serveOverdue, identity.RoleSupervisor, identity.RoleAdmin))
	mux.HandleFunc("GET /api/v1/cases/unfinished", httpapi.Require(v, s.serveUnfinished, identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin))
	mux.HandleFunc("POST /api/v1/cases/{id}/wrapup", httpapi.Require(v, s.serveWrapUp, identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin))
	mux.HandleFunc("GET /api/v1/case-status/{number}", httpapi.Require(v, s.serveStatus))
	mux.HandleFunc("PUT /api/v1/cases/{id}/resident", httpapi.Require(v, s.serveSetResident, identity.RoleAgent))
	mux.HandleFunc("POST /api/v1/cases/{id}/complete", httpapi.Require(v, s.serveComplete))
	mux.HandleFunc("POST /api/v1/cases/{id}/forms", httpapi.Require(v, s.serveCreateForm, identity.RoleAgent))
	mux.HandleFunc("GET /api/v1/cases/{id}/receipt", httpapi.Require(v, s.serveReceipt))
	mux.HandleFunc("GET /api/v1/forms/{id}", httpapi.Require(v, s.serveForm))
	mux.HandleFunc("POST /api/v1/forms/{id}/signature", httpapi.Require(v, s.serveSign, identity.RoleStation))
	mux.HandleFunc("GET /api/v1/signatures/{id}/image", httpapi.Require(v, s.serveSignatureImage))
}

func (s *Service) serveCase(w http.ResponseWriter, r *http.Request) {
	s.writeDetail(w, r, r.PathValue("id"))
}

func (s *Service) serveCallCase(w http.ResponseWriter, r *http.Request) {
	c, err := s.ForCall(r.Context(), r.PathValue("callID"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	s.writeDetail(w, r, c.ID)
}

// writeDetail serves the case page to those who oversee the case, after
// auditing the view; refusals are audited too.
func (s *Service) writeDetail(w http.ResponseWriter, r *http.Request, id string) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	d, err := s.Detail(r.Context(), id)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if ok, err := s.mayView(r.Context(), actor, d.Case); err != nil {
		s.writeError(w, err)
		return
	} else if !ok {
		s.refuse(w, r, "case.view", "case", d.ID)
		return
	}
	if !s.record(w, r, "case.view", "case", d.ID, d.Number) {
		return
	}
	if actor.Role == identity.RoleSupervisor || actor.Role == identity.RoleAdmin {
		d.RecordingURL = "/console/review.html?call=" + url.QueryEscape(d.CallID)
	}
	httpapi.WriteJSON(w, http.StatusOK, d)
}

func (s *Service) serveOverdue(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("overdue") != "1" {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_query", "only overdue=1 is supported")
		return
	}
	list, err := s.Overdue(r.Context())
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Case{"cases": list})
}

// serveStatus answers a case-number lookup. A station that keeps asking
// for numbers that do not exist is stopped for a while, and the audit log
// says when.
func (s *Service) serveStatus(w http.ResponseWriter, r *http.Request) {
	viewer, _ := httpapi.IdentityFrom(r.Context())
	station := viewer.Role == identity.RoleStation
	if station && s.lookups.blocked(viewer.AccountID, s.now()) {
		httpapi.WriteError(w, http.StatusTooManyRequests, "too_many_lookups", "too many case numbers were not found; try again later")
		return
	}
	st, err := s.ByNumber(r.Context(), r.PathValue("number"), viewer)
	if station && errors.Is(err, ErrNotFound) && s.lookups.fail(viewer.AccountID, s.now()) {
		if aerr := s.audit.Record(r.Context(), viewer, "case.lookup.limited", "station", viewer.AccountID, httpapi.RemoteAddr(r), ""); aerr != nil {
			s.opts.Logger.Error("audit case lookup limit", "station", viewer.AccountID, "err", aerr)
		}
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, st)
}

func (s *Service) serveUnfinished(w http.ResponseWriter, r *http.Request) {
	viewer, _ := httpapi.IdentityFrom(r.Context())
	list, err := s.Unfinished(r.Context(), viewer)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Unfinished{"cases": list})
}

// wrapUpRequest is the body of POST /api/v1/cases/{id}/wrapup: what the
// call's wrap-up would have said.
type wrapUpRequest struct {
	Outcome string   `json:"outcome"`
	Missing []string `json:"missing"`
	Notes   string   `json:"notes"`
}

// serveWrapUp wraps up an unfinished case. The case's timeline says who
// did it; the audit log has it beside the refusals.
func (s *Service) serveWrapUp(w http.ResponseWriter, r *http.Request) {
	var in wrapUpRequest
	if !httpapi.DecodeJSON(w, r, &in, 0) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	id := r.PathValue("id")
	c, err := s.WrapUpUnfinished(r.Context(), id, actor, in.Outcome, in.Missing, in.Notes)
	if errors.Is(err, ErrForbidden) {
		s.refuse(w, r, "case.wrapup", "case", id)
		return
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.audit.Record(r.Context(), actor, "case.wrapup", "case", c.ID, httpapi.RemoteAddr(r), c.Number+" "+in.Outcome); err != nil {
		s.opts.Logger.Error("audit case wrap-up", "case", c.ID, "err", err)
	}
	httpapi.WriteJSON(w, http.StatusOK, c)
}

func (s *Service) serveSetResident(w http.ResponseWriter, r *http.Request) {
	var in Resident
	if !httpapi.DecodeJSON(w, r, &in, 0) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	c, err := s.SetResident(r.Context(), r.PathValue("id"), actor, in)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, c)
}

func (s *Service) serveComplete(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Notes string `json:"notes"`
	}
	if !httpapi.DecodeJSON(w, r, &in, 0) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	c, err := s.Complete(r.Context(), r.PathValue("id"), actor, in.Notes)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, c)
}

func (s *Service) serveCreateForm(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	f, err := s.CreateForm(r.Context(), r.PathValue("id"), actor)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, f)
}

func (s *Service) serveReceipt(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	c, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !c.AtStation(actor) && !c.OverseenBy(actor) {
		s.refuse(w, r, "case.receipt", "case", c.ID)
		return
	}
	rc, err := s.Receipt(r.Context(), c.ID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, rc)
}

func (s *Service) serveForm(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	f, c, err := s.Form(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !c.AtStation(actor) && !c.OverseenBy(actor) {
		s.refuse(w, r, "form.view", "form", f.ID)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, f)
}

// signRequest is the body of POST /api/v1/forms/{id}/signature.
type signRequest struct {
	PNGBase64     string `json:"png_base64"`
	ContentSHA256 string `json:"content_sha256"`
}

func (s *Service) serveSign(w http.ResponseWriter, r *http.Request) {
	var in signRequest
	if !httpapi.DecodeJSON(w, r, &in, int64(base64.StdEncoding.EncodedLen(MaxSignatureBytes)+4096)) {
		return
	}
	img, err := base64.StdEncoding.DecodeString(in.PNGBase64)
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_signature", "png_base64 is not valid base64")
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	sig, err := s.Sign(r.Context(), r.PathValue("id"), actor, img, in.ContentSHA256)
	if errors.Is(err, ErrForbidden) {
		s.refuse(w, r, "form.sign", "form", r.PathValue("id"))
		return
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, sig)
}

func (s *Service) serveSignatureImage(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	sig, img, c, err := s.SignatureImage(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if !c.OverseenBy(actor) {
		s.refuse(w, r, "signature.view", "signature", sig.ID)
		return
	}
	if !s.record(w, r, "signature.view", "signature", sig.ID, c.Number) {
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(len(img)))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(img); err != nil {
		s.opts.Logger.Debug("write signature image", "signature", sig.ID, "err", err)
	}
}

// record audits an access; when that fails it answers 500 and the access
// must not happen.
func (s *Service) record(w http.ResponseWriter, r *http.Request, action, objectType, id, detail string) bool {
	actor, _ := httpapi.IdentityFrom(r.Context())
	if err := s.audit.Record(r.Context(), actor, action, objectType, id, httpapi.RemoteAddr(r), detail); err != nil {
		s.opts.Logger.Error("audit case access", "action", action, "object", id, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the access could not be audited")
		return false
	}
	return true
}

// refuse audits a refused access and answers 403.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, action, objectType, id string) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	if err := s.audit.Record(r.Context(), actor, action+".denied", objectType, id, httpapi.RemoteAddr(r), ""); err != nil {
		s.opts.Logger.Error("audit refused case access", "action", action, "object", id, "err", err)
	}
	httpapi.WriteError(w, http.StatusForbidden, "forbidden", "this "+objectType+" belongs to someone else")
}

// errorCodes are the case errors a client is told about.
var errorCodes = []httpapi.ErrorCode{
	{Err: ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: ErrInvalid, Status: http.StatusBadRequest, Code: "invalid"},
	{Err: ErrForbidden, Status: http.StatusForbidden, Code: "forbidden"},
	{Err: ErrContentChanged, Status: http.StatusConflict, Code: "content_changed"},
	{Err: ErrConflict, Status: http.StatusConflict, Code: "conflict"},
}

func (s *Service) writeError(w http.ResponseWriter, err error) {
	httpapi.WriteErrorFrom(w, s.opts.Logger, err, errorCodes, "case request")
}
