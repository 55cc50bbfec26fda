package documents

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"cloudwindow/cases"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Routes registers the documents API on mux:
//
//	POST /api/v1/uploads                      announce a file (the call's station)
//	PUT  /api/v1/uploads/{id}/chunks/{index}  send a chunk, header X-Chunk-SHA256 (that station)
//	GET  /api/v1/uploads/{id}                 what is received, to resume (that station)
//	GET  /api/v1/calls/{callID}/documents     a call's scans (its agents and station, supervisors, admins)
//	GET  /api/v1/documents/{id}               a scan's content, with ranges (the call's agents, supervisors, admins; audited)
//	POST /api/v1/documents/{id}/rescan        ask the station to scan again (the call's agent)
//	POST /api/v1/documents/{id}/accept        {"material": "..."}: attach to the case (the call's agent)
func (s *Service) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	mux.HandleFunc("POST /api/v1/uploads", httpapi.Require(v, s.serveBegin, identity.RoleStation))
	mux.HandleFunc("PUT /api/v1/uploads/{id}/chunks/{index}", httpapi.Require(v, s.servePutChunk, identity.RoleStation))
	mux.HandleFunc("GET /api/v1/uploads/{id}", httpapi.Require(v, s.serveUpload, identity.RoleStation))
	mux.HandleFunc("GET /api/v1/calls/{callID}/documents", httpapi.Require(v, s.serveList))
	mux.HandleFunc("GET /api/v1/documents/{id}", httpapi.Require(v, s.serveContent))
	mux.HandleFunc("POST /api/v1/documents/{id}/rescan", httpapi.Require(v, s.serveRescan, identity.RoleAgent))
	mux.HandleFunc("POST /api/v1/documents/{id}/accept", httpapi.Require(v, s.serveAccept, identity.RoleAgent))
}

func (s *Service) serveBegin(w http.ResponseWriter, r *http.Request) {
	var req UploadRequest
	if !httpapi.DecodeJSON(w, r, &req, 0) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	st, err := s.Begin(r.Context(), actor, req)
	s.answer(w, r, "upload.begin", "call", req.CallID, st, err)
}

func (s *Service) servePutChunk(w http.ResponseWriter, r *http.Request) {
	index, err := strconv.Atoi(r.PathValue("index"))
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_index", "the chunk index must be a number")
		return
	}
	// A chunk may take longer than the server's read timeout allows other
	// requests; this one alone gets a longer deadline.
	if err := http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.ChunkTimeout)); err != nil {
		s.log.Warn("extend chunk read deadline", "err", err)
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	body := http.MaxBytesReader(w, r.Body, maxChunkSize+1)
	st, err := s.PutChunk(r.Context(), actor, r.PathValue("id"), index, body, r.Header.Get("X-Chunk-SHA256"))
	s.answer(w, r, "upload.chunk", "upload", r.PathValue("id"), st, err)
}

func (s *Service) serveUpload(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	st, err := s.Upload(r.Context(), actor, r.PathValue("id"))
	s.answer(w, r, "upload.view", "upload", r.PathValue("id"), st, err)
}

func (s *Service) serveList(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	c, err := s.call(r.Context(), r.PathValue("callID"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	if ok, err := s.mayList(r.Context(), actor, c); err != nil {
		s.writeError(w, err)
		return
	} else if !ok {
		s.refuse(w, r, "document.list", "call", c.ID)
		return
	}
	list, err := s.ListForCall(r.Context(), c.ID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Document{"documents": list})
}

// serveContent serves a scan with range support, after auditing the access.
func (s *Service) serveContent(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	d, err := s.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	c, err := s.call(r.Context(), d.CallID)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if ok, err := s.mayView(r.Context(), actor, c); err != nil {
		s.writeError(w, err)
		return
	} else if !ok {
		s.refuse(w, r, "document.view", "document", d.ID)
		return
	}
	detail := d.Filename
	if rg := r.Header.Get("Range"); rg != "" {
		detail += " range " + rg
	}
	if err := s.cfg.Audit.Record(r.Context(), actor, "document.view", "document", d.ID, httpapi.RemoteAddr(r), detail); err != nil {
		s.log.Error("audit document view", "document", d.ID, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the access could not be audited")
		return
	}
	f, err := s.open(d)
	if err != nil {
		s.writeError(w, err)
		return
	}
	defer f.Close()
	sum, _ := hex.DecodeString(d.SHA256)
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": d.Filename}))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+d.SHA256+`"`)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum)+":")
	http.ServeContent(w, r, "", d.CreatedAt, f)
}

func (s *Service) serveRescan(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	d, err := s.RequestRescan(r.Context(), r.PathValue("id"), actor)
	s.answer(w, r, "document.rescan", "document", r.PathValue("id"), d, err)
}

type acceptRequest struct {
	Material string `json:"material"`
}

type acceptResponse struct {
	Document  Document         `json:"document"`
	Materials []cases.Material `json:"materials"`
}

func (s *Service) serveAccept(w http.ResponseWriter, r *http.Request) {
	var in acceptRequest
	if !httpapi.DecodeJSON(w, r, &in, 0) {
		return
	}
	actor, _ := httpapi.IdentityFrom(r.Context())
	d, materials, err := s.Accept(r.Context(), r.PathValue("id"), actor, in.Material)
	s.answer(w, r, "document.accept", "document", r.PathValue("id"), acceptResponse{d, materials}, err)
}

// answer writes v, or the error; refusals are audited against the object.
func (s *Service) answer(w http.ResponseWriter, r *http.Request, action, objectType, id string, v any, err error) {
	switch {
	case errors.Is(err, ErrForbidden):
		s.refuse(w, r, action, objectType, id)
	case err != nil:
		s.writeError(w, err)
	default:
		httpapi.WriteJSON(w, http.StatusOK, v)
	}
}

// refuse audits a refused access and answers 403.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, action, objectType, id string) {
	actor, _ := httpapi.IdentityFrom(r.Context())
	if err := s.cfg.Audit.Record(r.Context(), actor, action+".denied", objectType, id, httpapi.RemoteAddr(r), ""); err != nil {
		s.log.Error("audit refused document access", "action", action, "object", id, "err", err)
	}
	httpapi.WriteError(w, http.StatusForbidden, "forbidden", "this "+objectType+" belongs to another call")
}

// errorCodes are the document errors a client is told about.
var errorCodes = []httpapi.ErrorCode{
	{Err: ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
	{Err: ErrTooLarge, Status: http.StatusRequestEntityTooLarge, Code: "too_large"},
	{Err: ErrUnsupported, Status: http.StatusUnsupportedMediaType, Code: "unsupported_type"},
	{Err: ErrChecksum, Status: http.StatusUnprocessableEntity, Code: "checksum_mismatch"},
	{Err: ErrInvalid, Status: http.StatusBadRequest, Code: "invalid"},
	{Err: ErrForbidden, Status: http.StatusForbidden, Code: "forbidden"},
	{Err: ErrConflict, Status: http.StatusConflict, Code: "conflict"},
	{Err: ErrCallEnded, Status: http.StatusConflict, Code: "call_ended"},
	{Err: ErrQuota, Status: http.StatusTooManyRequests, Code: "quota_exceeded"},
	{Err: ErrNoSpace, Status: http.StatusInsufficientStorage, Code: "insufficient_storage"},
}

func (s *Service) writeError(w http.ResponseWriter, err error) {
	httpapi.WriteErrorFrom(w, s.log, err, errorCodes, "document request")
}
