package catalog

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"cloudwindow/audit"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// maxQueryRunes bounds the search text; a kiosk search box is short.
const maxQueryRunes = 50

// listResponse is the body of GET /api/v1/catalog.
type listResponse struct {
	Version    int        `json:"version"`
	Categories []Category `json:"categories"`
	Items      []Item     `json:"items"`
}

type handlers struct {
	svc   *Service
	audit *audit.Log
}

// Routes registers the catalog API on mux. Any signed-in role may read
// enabled items; only admins see disabled ones and edit. Every edit is
// written to the audit log before it is made, and refused if it cannot be.
func (s *Service) Routes(mux *http.ServeMux, v httpapi.Verifier, log *audit.Log) {
	h := &handlers{svc: s, audit: log}
	// The catalog holds no secret, only the same list for everyone who may
	// read it (143 kB of JSON, 19 kB compressed); a kiosk loads it as it starts.
	mux.Handle("GET /api/v1/catalog", httpapi.Compressed(httpapi.Require(v, h.list)))
	mux.Handle("GET /api/v1/catalog/{id}", httpapi.Compressed(httpapi.Require(v, h.get)))
	mux.HandleFunc("POST /api/v1/admin/catalog", httpapi.Require(v, h.create, identity.RoleAdmin))
	mux.HandleFunc("PUT /api/v1/admin/catalog/{id}", httpapi.Require(v, h.update, identity.RoleAdmin))
	mux.HandleFunc("POST /api/v1/admin/catalog/{id}/enable", httpapi.Require(v, h.setEnabled(true), identity.RoleAdmin))
	mux.HandleFunc("POST /api/v1/admin/catalog/{id}/disable", httpapi.Require(v, h.setEnabled(false), identity.RoleAdmin))
}

// list serves GET /api/v1/catalog?q=&category=[&include_disabled=1].
func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	q := Query{Text: params.Get("q"), Category: params.Get("category")}
	if n := utf8.RuneCountInString(q.Text); n > maxQueryRunes || !utf8.ValidString(q.Text) {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_query", fmt.Sprintf("q must be valid text of at most %d characters", maxQueryRunes))
		return
	}
	if q.Category != "" && !h.svc.known(q.Category) {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_query", fmt.Sprintf("category %q is not a known category", q.Category))
		return
	}
	switch params.Get("include_disabled") {
	case "", "0", "false":
	case "1", "true":
		if !isAdmin(r) {
			httpapi.WriteError(w, http.StatusForbidden, "forbidden", "only admins may list disabled items")
			return
		}
		q.IncludeDisabled = true
	default:
		httpapi.WriteError(w, http.StatusBadRequest, "bad_query", "include_disabled must be true or false")
		return
	}
	items, err := h.svc.Items(r.Context(), q)
	if err != nil {
		h.writeError(w, err)
		return
	}
	version, err := h.svc.Version(r.Context())
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, listResponse{Version: version, Categories: h.svc.Categories(), Items: items})
}

// get serves GET /api/v1/catalog/{id}. A disabled item does not exist for
// anyone but admins.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	it, err := h.svc.Item(r.Context(), r.PathValue("id"))
	if err == nil && !it.Enabled && !isAdmin(r) {
		err = ErrNotFound
	}
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, it)
}

// create serves POST /api/v1/admin/catalog. A new item is enabled unless
// the body says "enabled": false.
func (h *handlers) create(w http.ResponseWriter, r *http.Request) {
	in := Item{Enabled: true}
	if !httpapi.DecodeJSON(w, r, &in, 0) {
		return
	}
	in, err := h.svc.check(in)
	if err != nil {
		h.writeError(w, err)
		return
	}
	if _, err := h.svc.Item(r.Context(), in.ID); err == nil {
		h.writeError(w, fmt.Errorf("create catalog item %s: %w", in.ID, ErrExists))
		return
	} else if !errors.Is(err, ErrNotFound) {
		h.writeError(w, err)
		return
	}
	if !h.record(w, r, "catalog.create", in.ID, in.NameZh) {
		return
	}
	if err := h.svc.Create(r.Context(), in); err != nil {
		h.writeError(w, err)
		return
	}
	h.respondItem(w, r, http.StatusCreated, in.ID)
}

// update serves PUT /api/v1/admin/catalog/{id}. The body is the whole item
// (as GET returns it); the id in the body, if any, must match the path.
func (h *handlers) update(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var in Item
	if !httpapi.DecodeJSON(w, r, &in, 0) {
		return
	}
	if in.ID != "" && in.ID != id {
		httpapi.WriteError(w, http.StatusBadRequest, "id_mismatch", fmt.Sprintf("body id %q does not match the URL id %q", in.ID, id))
		return
	}
	in.ID = id
	in, err := h.svc.check(in)
	if err != nil {
		h.writeError(w, err)
		return
	}
	old, err := h.svc.Item(r.Context(), id)
	if err != nil {
		h.writeError(w, err)
		return
	}
	changed := changedFields(old, in)
	if len(changed) == 0 {
		// Saving an unchanged form must not take the item away from future seeds.
		httpapi.WriteJSON(w, http.StatusOK, old)
		return
	}
	if !h.record(w, r, "catalog.update", id, "changed: "+strings.Join(changed, ", ")) {
		return
	}
	if err := h.svc.Update(r.Context(), in); err != nil {
		h.writeError(w, err)
		return
	}
	h.respondItem(w, r, http.StatusOK, id)
}

// setEnabled serves the enable and disable actions. Asking for the state
// the item is already in changes nothing and is not audited.
func (h *handlers) setEnabled(enabled bool) http.HandlerFunc {
	action := "catalog.disable"
	if enabled {
		action = "catalog.enable"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		it, err := h.svc.Item(r.Context(), id)
		if err != nil {
			h.writeError(w, err)
			return
		}
		if it.Enabled != enabled {
			if !h.record(w, r, action, id, it.NameZh) {
				return
			}
			if err := h.svc.SetEnabled(r.Context(), id, enabled); err != nil {
				h.writeError(w, err)
				return
			}
		}
		h.respondItem(w, r, http.StatusOK, id)
	}
}

// record writes the audit entry for an edit; on failure it has answered
// the request and the edit must not happen.
func (h *handlers) record(w http.ResponseWriter, r *http.Request, action, id, detail string) bool {
	actor, _ := httpapi.IdentityFrom(r.Context())
	if err := h.audit.Record(r.Context(), actor, action, "catalog_item", id, httpapi.RemoteAddr(r), detail); err != nil {
		h.svc.log.Error("audit catalog edit", "action", action, "item", id, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the change could not be audited and was not made")
		return false
	}
	return true
}

func (h *handlers) respondItem(w http.ResponseWriter, r *http.Request, status int, id string) {
	it, err := h.svc.Item(r.Context(), id)
	if err != nil {
		h.writeError(w, err)
		return
	}
	httpapi.WriteJSON(w, status, it)
}

func isAdmin(r *http.Request) bool {
	id, ok := httpapi.IdentityFrom(r.Context())
	return ok && id.Role == identity.RoleAdmin
}

func (h *handlers) writeError(w http.ResponseWriter, err error) {
	var verr *ValidationError
	switch {
	case errors.As(err, &verr):
		httpapi.WriteError(w, http.StatusBadRequest, "invalid_item", verr.Error())
	case errors.Is(err, ErrNotFound):
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such catalog item")
	case errors.Is(err, ErrExists):
		httpapi.WriteError(w, http.StatusConflict, "exists", "a catalog item with this id already exists")
	default:
		h.svc.log.Error("catalog request failed", "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "the catalog is unavailable, try again")
	}
}

// changedFields names the descriptive fields that differ, for the audit log.
func changedFields(old, updated Item) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("name_zh", old.NameZh != updated.NameZh)
	add("name_en", old.NameEn != updated.NameEn)
	add("category", old.Category != updated.Category)
	add("skill_group", old.SkillGroup != updated.SkillGroup)
	add("mode", old.Mode != updated.Mode)
	add("time_limit_days", old.TimeLimitDays != updated.TimeLimitDays)
	add("signature_required", old.SignatureRequired != updated.SignatureRequired)
	add("guide_zh", old.GuideZh != updated.GuideZh)
	add("materials", !sameMaterials(old.Materials, updated.Materials))
	return out
}

func sameMaterials(a, b []Material) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
