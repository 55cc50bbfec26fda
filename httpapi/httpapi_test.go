package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWriteErrorFromMapsWrappedErrorsAndHidesTheRest(t *testing.T) {
	errGone := errors.New("gone")
	codes := []ErrorCode{{Err: errGone, Status: http.StatusNotFound, Code: "not_found"}}
	cases := []struct {
		name       string
		err        error
		status     int
		code, text string
	}{
		{"wrapped sentinel", fmt.Errorf("case 7: %w", errGone), http.StatusNotFound, "not_found", "case 7: gone"},
		{"anything else", errors.New("disk /var/lib failed"), http.StatusInternalServerError, "internal", "the request failed; try again"},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		var logged strings.Builder
		WriteErrorFrom(rec, slog.New(slog.NewTextHandler(&logged, nil)), tc.err, codes, "test request")
		var body map[string]Error
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != tc.status || body["error"].Code != tc.code || body["error"].Message != tc.text {
			t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "/var/lib") {
			t.Errorf("%s: internal detail leaked: %s", tc.name, rec.Body)
		}
		if internal := tc.status == http.StatusInternalServerError; internal != strings.Contains(logged.String(), tc.err.Error()) {
			t.Errorf("%s: the operator's log has %q", tc.name, logged.String())
		}
	}
}
