package recordings

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"cloudwindow/audit"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Audit actions, object type "recording", object id the call id.
const (
	ActionView     = "recording.view"     // the session page
	ActionPlay     = "recording.play"     // each media request, ranges included
	ActionDownload = "recording.download" // media with ?download=1
	ActionNote     = "recording.note"
	ActionHold     = "recording.hold"
	ActionUnhold   = "recording.unhold"
)

type reviewAPI struct {
	rec   *Recorder
	audit *audit.Log
}

// Routes registers the review API; only supervisors and admins get in
// (others get 403, requests without a valid token 401). Media also opens
// with a play ticket instead of a token (403 if the ticket is bad).
//
//	GET  /api/v1/recordings                                 session list: filters, paging
//	GET  /api/v1/recordings/{callID}                        session page (audited)
//	GET  /api/v1/recordings/{callID}/files/{fileID}         media, range requests (audited); ?ticket=
//	POST /api/v1/recordings/{callID}/files/{fileID}/ticket  a play ticket for a <video>
//	POST /api/v1/recordings/{callID}/notes                  {"at_ms", "text"} (audited)
//	PUT  /api/v1/recordings/{callID}/hold                   {"hold": bool} (audited)
func (rec *Recorder) Routes(mux *http.ServeMux, v httpapi.Verifier, log *audit.Log) {
	a := &reviewAPI{rec: rec, audit: log}
	only := []identity.Role{identity.RoleSupervisor, identity.RoleAdmin}
	mux.HandleFunc("GET /api/v1/recordings", httpapi.Require(v, a.list, only...))
	mux.HandleFunc("GET /api/v1/recordings/{callID}", httpapi.Require(v, a.get, only...))
	mux.HandleFunc("GET /api/v1/recordings/{callID}/files/{fileID}", a.mediaAccess(v, httpapi.Require(v, a.media, only...)))
	mux.HandleFunc("POST /api/v1/recordings/{callID}/files/{fileID}/ticket", httpapi.Require(v, a.issueTicket, only...))
	mux.HandleFunc("POST /api/v1/recordings/{callID}/notes", httpapi.Require(v, a.addNote, only...))
	mux.HandleFunc("PUT /api/v1/recordings/{callID}/hold", httpapi.Require(v, a.hold, only...))
}

func (a *reviewAPI) list(w http.ResponseWriter, r *http.Request) {
	f, err := parseListFilter(r.URL.Query())
	if err != nil {
		a.fail(w, err)
		return
	}
	page, err := a.rec.List(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, page)
}

func (a *reviewAPI) get(w http.ResponseWriter, r *http.Request) {
	callID := r.PathValue("callID")
	d, err := a.rec.Session(r.Context(), callID)
	if err == nil {
		err = a.record(r, ActionView, callID, "")
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, d)
}

// media serves a file with http.ServeContent, which answers Range and
// conditional requests, so players can seek without downloading it all;
// from an object store, each range is fetched with a range request.
func (a *reviewAPI) media(w http.ResponseWriter, r *http.Request) {
	callID, fileID := r.PathValue("callID"), r.PathValue("fileID")
	f, err := a.rec.file(r.Context(), callID, fileID)
	if err == nil && f.Status == StatusDeleted {
		err = fmt.Errorf("file %s: %w", fileID, ErrDeleted)
	}
	var content io.ReadSeekCloser
	if err == nil {
		content, err = a.rec.openMedia(r.Context(), f, lastByte(r.Header.Get("Range")))
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	defer content.Close()
	action, disposition := ActionPlay, "inline"
	if r.URL.Query().Get("download") == "1" {
		action, disposition = ActionDownload, "attachment"
	}
	detail := "file=" + fileID
	if r.URL.Query().Get("ticket") != "" {
		detail += " ticket"
	}
	if rg := r.Header.Get("Range"); rg != "" {
		detail += " range=" + rg
	}
	if err := a.record(r, action, callID, detail); err != nil {
		a.fail(w, err)
		return
	}
	name := filepath.Base(f.Path)
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("%s; filename=%q", disposition, name))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-SHA256", f.SHA256)
	http.ServeContent(w, r, name, f.EndedAt, content)
}

func (a *reviewAPI) addNote(w http.ResponseWriter, r *http.Request) {
	var body struct {
		AtMs *int64 `json:"at_ms"`
		Text string `json:"text"`
	}
	if !httpapi.DecodeJSON(w, r, &body, 0) {
		return
	}
	if body.AtMs == nil {
		a.fail(w, fmt.Errorf("%w: at_ms is required", ErrInvalid))
		return
	}
	callID := r.PathValue("callID")
	id, _ := httpapi.IdentityFrom(r.Context())
	n, err := a.rec.AddNote(r.Context(), callID, *body.AtMs, body.Text, id)
	if err == nil {
		err = a.record(r, ActionNote, callID, "note="+n.ID)
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, n)
}

func (a *reviewAPI) hold(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Hold *bool `json:"hold"`
	}
	if !httpapi.DecodeJSON(w, r, &body, 0) {
		return
	}
	if body.Hold == nil {
		a.fail(w, fmt.Errorf("%w: hold is required", ErrInvalid))
		return
	}
	callID := r.PathValue("callID")
	action := ActionUnhold
	if *body.Hold {
		action = ActionHold
	}
	// The hold is audited before it is changed: a change that can't be
	// audited must not happen.
	_, err := a.rec.sessionRow(r.Context(), callID)
	if err == nil {
		err = a.record(r, action, callID, "")
	}
	var s Session
	if err == nil {
		id, _ := httpapi.IdentityFrom(r.Context())
		s, err = a.rec.SetHold(r.Context(), callID, *body.Hold, id)
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, s)
}

func (a *reviewAPI) record(r *http.Request, action, callID, detail string) error {
	id, _ := httpapi.IdentityFrom(r.Context())
	return a.audit.Record(r.Context(), id, action, "recording", callID, httpapi.RemoteAddr(r), detail)
}

func (a *reviewAPI) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		httpapi.WriteError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, ErrDeleted):
		httpapi.WriteError(w, http.StatusGone, "deleted", err.Error())
	case errors.Is(err, ErrInvalid):
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", err.Error())
	default:
		a.rec.log.Error("recordings API", "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "the request could not be completed")
	}
}

// parseListFilter reads the list's query: from, to (RFC 3339, or a date
// YYYY-MM-DD in the server's zone, "to" including that day), station,
// agent, item, category, status, island (true|false), min_duration and
// max_duration (seconds), rating (bad: 1–2, or unrated), min_rating and
// max_rating (1–5), limit, cursor.
func parseListFilter(q url.Values) (ListFilter, error) {
	f := ListFilter{StationID: q.Get("station"), AgentID: q.Get("agent"), ItemID: q.Get("item"),
		Category: q.Get("category"), Status: Status(q.Get("status")), Cursor: q.Get("cursor")}
	var err error
	bad := func(name string) error { return fmt.Errorf("%w: bad %s %q", ErrInvalid, name, q.Get(name)) }
	if f.From, err = parseDay(q.Get("from"), false); err != nil {
		return f, bad("from")
	}
	if f.To, err = parseDay(q.Get("to"), true); err != nil {
		return f, bad("to")
	}
	if v := q.Get("island"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, bad("island")
		}
		f.Island = &b
	}
	for name, dst := range map[string]*time.Duration{"min_duration": &f.MinDuration, "max_duration": &f.MaxDuration} {
		if v := q.Get(name); v != "" {
			secs, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return f, bad(name)
			}
			*dst = time.Duration(secs) * time.Second
		}
	}
	if err := parseRatingFilter(q, &f); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 200 {
			return f, bad("limit")
		}
	}
	switch f.Status {
	case "", StatusRecording, StatusFinished, StatusFailed, StatusRepaired, StatusDeleted:
		return f, nil
	}
	return f, bad("status")
}

// parseRatingFilter reads rating, min_rating and max_rating; List checks
// that the bounds make sense together.
func parseRatingFilter(q url.Values, f *ListFilter) error {
	switch q.Get("rating") {
	case "":
	case "bad":
		f.MinRating, f.MaxRating = MinScore, BadRatingMax
	case "unrated":
		f.Unrated = true
	default:
		return fmt.Errorf("%w: bad rating %q (bad or unrated)", ErrInvalid, q.Get("rating"))
	}
	for name, dst := range map[string]*int{"min_rating": &f.MinRating, "max_rating": &f.MaxRating} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < MinScore || n > MaxScore {
				return fmt.Errorf("%w: bad %s %q (%d to %d)", ErrInvalid, name, v, MinScore, MaxScore)
			}
			*dst = n
		}
	}
	return nil
}

func parseDay(v string, endOfDay bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, time.Local)
	if err == nil && endOfDay {
		d = d.AddDate(0, 0, 1)
	}
	return d, err
}
