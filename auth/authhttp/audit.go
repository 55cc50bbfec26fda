package authhttp

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"cloudwindow/audit"
	"cloudwindow/httpapi"
)

// maxFilterLen bounds the id filters, which are matched exactly.
const maxFilterLen = 128

func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	f, err := parseAuditFilter(r.URL.Query())
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "invalid", err.Error())
		return
	}
	entries, err := h.audit.List(r.Context(), f)
	if err != nil {
		h.writeError(w, err)
		return
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]audit.Entry{"entries": entries})
}

// parseAuditFilter reads object_type, object_id, actor_id, since and until
// (RFC 3339) and limit (1 to 1000) from the query string.
func parseAuditFilter(q url.Values) (audit.Filter, error) {
	f := audit.Filter{ObjectType: q.Get("object_type"), ObjectID: q.Get("object_id"), ActorID: q.Get("actor_id")}
	for name, v := range map[string]string{"object_type": f.ObjectType, "object_id": f.ObjectID, "actor_id": f.ActorID} {
		if len(v) > maxFilterLen {
			return audit.Filter{}, &paramError{name, "is too long"}
		}
	}
	var err error
	if f.Since, err = parseTime(q, "since"); err != nil {
		return audit.Filter{}, err
	}
	if f.Until, err = parseTime(q, "until"); err != nil {
		return audit.Filter{}, err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return audit.Filter{}, &paramError{"limit", "must be a number from 1 to 1000"}
		}
		f.Limit = n
	}
	return f, nil
}

func parseTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, &paramError{name, "must be an RFC 3339 time such as 2025-01-02T15:04:05+08:00"}
	}
	return t, nil
}

type paramError struct{ name, message string }

func (e *paramError) Error() string { return e.name + ": " + e.message }
