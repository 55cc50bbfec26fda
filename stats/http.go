package stats

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Routes registers the statistics API on mux (supervisors and admins):
//
//	GET /api/v1/stats?period=day|week|month|custom&date=YYYY-MM-DD&from=&to=   the report as JSON
//	GET /api/v1/stats/export?format=xlsx|csv&by=total|station|item|category|agent&lang=zh|en&period=…
//	    the report as a workbook (one sheet per breakdown) or one breakdown as CSV; audited
func (s *Service) Routes(mux *http.ServeMux, v httpapi.Verifier) {
	mux.HandleFunc("GET /api/v1/stats", httpapi.Require(v, s.serveReport, identity.RoleSupervisor, identity.RoleAdmin))
	mux.HandleFunc("GET /api/v1/stats/export", httpapi.Require(v, s.serveExport, identity.RoleSupervisor, identity.RoleAdmin))
}

func (s *Service) period(w http.ResponseWriter, r *http.Request) (Period, bool) {
	q := r.URL.Query()
	p, err := s.Period(q.Get("period"), q.Get("date"), q.Get("from"), q.Get("to"))
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_period", err.Error())
		return Period{}, false
	}
	return p, true
}

func (s *Service) serveReport(w http.ResponseWriter, r *http.Request) {
	p, ok := s.period(w, r)
	if !ok {
		return
	}
	rep, err := s.Report(r.Context(), p)
	if err != nil {
		s.log.Error("statistics", "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "the statistics could not be computed")
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, rep)
}

var errBadExport = errors.New("bad export")

// exportKind checks the export's format and breakdown.
func exportKind(format, by string) (string, string, error) {
	switch format {
	case "", "xlsx":
		return "xlsx", "", nil
	case "csv":
		if by == "" {
			by = ByStation
		}
		if _, ok := sheetNames[by]; !ok {
			return "", "", fmt.Errorf("%w: by must be total, station, item, category or agent, not %q", errBadExport, by)
		}
		return "csv", by, nil
	}
	return "", "", fmt.Errorf("%w: format must be xlsx or csv, not %q", errBadExport, format)
}

func (s *Service) serveExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format, by, err := exportKind(q.Get("format"), q.Get("by"))
	if err != nil {
		httpapi.WriteError(w, http.StatusBadRequest, "bad_export", err.Error())
		return
	}
	p, ok := s.period(w, r)
	if !ok {
		return
	}
	rep, err := s.Report(r.Context(), p)
	if err != nil {
		s.log.Error("statistics export", "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "the statistics could not be computed")
		return
	}
	var buf bytes.Buffer
	name := fmt.Sprintf("cloudwindow-stats-%s_%s", rep.Period.From, rep.Period.To)
	ctype := "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	if format == "csv" {
		name += "-" + by
		ctype = "text/csv; charset=utf-8"
		err = WriteCSV(&buf, rep, by, q.Get("lang"))
	} else {
		err = WriteXLSX(&buf, rep, q.Get("lang"))
	}
	if err != nil {
		s.log.Error("statistics export", "format", format, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "internal", "the export could not be written")
		return
	}
	if !s.audited(w, r, name+"."+format) {
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+"."+format+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	if _, err := w.Write(buf.Bytes()); err != nil {
		s.log.Debug("write statistics export", "err", err)
	}
}

// audited records the export; when that fails it answers 500 and nothing
// is handed out.
func (s *Service) audited(w http.ResponseWriter, r *http.Request, file string) bool {
	actor, _ := httpapi.IdentityFrom(r.Context())
	if err := s.audit.Record(r.Context(), actor, "stats.export", "stats", file, httpapi.RemoteAddr(r), r.URL.RawQuery); err != nil {
		s.log.Error("audit statistics export", "file", file, "err", err)
		httpapi.WriteError(w, http.StatusInternalServerError, "audit_failed", "the export could not be audited")
		return false
	}
	return true
}
