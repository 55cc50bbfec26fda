package cases

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"cloudwindow/identity"
)

func TestCasePageAccess(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		srv := e.server(t)
		c := e.openCase(t, "call-1", itemForwarded)
		for _, tc := range []struct {
			who       identity.Identity
			status    int
			recording bool
			audited   string
		}{
			{agent1, http.StatusOK, false, "ag-1 case.view"},
			{supervisor1, http.StatusOK, true, "su-1 case.view"},
			{admin1, http.StatusOK, true, "ad-1 case.view"},
			{agent2, http.StatusForbidden, false, "ag-2 case.view.denied"},
			{station1, http.StatusForbidden, false, "st-1 case.view.denied"},
		} {
			t.Run(tc.who.Username, func(t *testing.T) {
				before := len(e.auditActions(t, c.ID))
				var d Detail
				if got := call(t, srv, "GET", "/api/v1/cases/"+c.ID, tc.who, nil, &d); got != tc.status {
					t.Fatalf("status %d, want %d", got, tc.status)
				}
				if tc.status == http.StatusOK {
					if d.Number != c.Number || len(d.Materials) != 3 || len(d.Events) != 1 {
						t.Fatalf("case page = %+v", d)
					}
					if (d.RecordingURL == "/console/review.html?call=call-1") != tc.recording {
						t.Fatalf("recording link %q for %s", d.RecordingURL, tc.who.Role)
					}
				}
				actions := e.auditActions(t, c.ID)
				if len(actions) != before+1 || !slices.Contains(actions, tc.audited) {
					t.Fatalf("audit log = %q, want %q appended", actions, tc.audited)
				}
			})
		}
		var d Detail
		if got := call(t, srv, "GET", "/api/v1/calls/call-1/case", agent1, nil, &d); got != http.StatusOK || d.ID != c.ID {
			t.Fatalf("case by call: status %d, case %s", got, d.ID)
		}
		if got := call(t, srv, "GET", "/api/v1/cases/nope", supervisor1, nil, nil); got != http.StatusNotFound {
			t.Fatalf("unknown case: status %d", got)
		}
	})
}

func TestCaseStatusAndOverdueOverHTTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := e.server(t)
		c := e.openCase(t, "call-1", itemForwarded)
		if _, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, ""); err != nil {
			t.Fatal(err)
		}
		// Its own station sees the item; any other station holding the
		// receipt sees only how the case stands.
		for _, tc := range []struct {
			who  identity.Identity
			keys []string
		}{
			{station1, []string{"due_date", "item_name", "item_name_en", "number", "state"}},
			{station2, []string{"due_date", "number", "state"}},
		} {
			var raw map[string]any
			if got := call(t, srv, "GET", "/api/v1/case-status/"+c.Number, tc.who, nil, &raw); got != http.StatusOK {
				t.Fatalf("status lookup by %s: %d", tc.who.Username, got)
			}
			keys := make([]string, 0, len(raw))
			for k := range raw {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tc.keys) {
				t.Fatalf("status for %s has fields %q, want %q", tc.who.Username, keys, tc.keys)
			}
		}
		// Date and serial without the check digits find nothing, even for the
		// case's own station.
		short := c.Number[:len(c.Number)-checkDigits-1]
		for _, number := range []string{"YW20991231-0001-123456", short} {
			if got := call(t, srv, "GET", "/api/v1/case-status/"+number, station1, nil, nil); got != http.StatusNotFound {
				t.Fatalf("lookup of %s: %d, want 404", number, got)
			}
		}

		e.clock.Set(friday.AddDate(0, 0, 10))
		for _, tc := range []struct {
			who    identity.Identity
			status int
		}{{supervisor1, http.StatusOK}, {admin1, http.StatusOK}, {agent1, http.StatusForbidden}, {station1, http.StatusForbidden}} {
			var out struct{ Cases []Case }
			if got := call(t, srv, "GET", "/api/v1/cases?overdue=1", tc.who, nil, &out); got != tc.status {
				t.Fatalf("overdue list as %s: %d, want %d", tc.who.Username, got, tc.status)
			}
			if tc.status == http.StatusOK && (len(out.Cases) != 1 || out.Cases[0].ID != c.ID) {
				t.Fatalf("overdue list = %+v", out.Cases)
			}
		}
	})
}

func TestFormSignatureOverHTTP(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		srv := e.server(t)
		c := e.openCase(t, "call-1", itemForwarded)
		if got := call(t, srv, "PUT", "/api/v1/cases/"+c.ID+"/resident", agent1, Resident{Name: "陈阿婆"}, nil); got != http.StatusOK {
			t.Fatalf("set resident: %d", got)
		}
		if got := call(t, srv, "POST", "/api/v1/cases/"+c.ID+"/forms", station1, nil, nil); got != http.StatusForbidden {
			t.Fatalf("a station pushed a form: %d", got)
		}
		var f Form
		if got := call(t, srv, "POST", "/api/v1/cases/"+c.ID+"/forms", agent1, nil, &f); got != http.StatusCreated {
			t.Fatalf("push form: %d", got)
		}
		var shown Form
		if got := call(t, srv, "GET", "/api/v1/forms/"+f.ID, station1, nil, &shown); got != http.StatusOK || shown.HTML != f.HTML {
			t.Fatalf("station fetching its form: %d", got)
		}
		if got := call(t, srv, "GET", "/api/v1/forms/"+f.ID, station2, nil, nil); got != http.StatusForbidden {
			t.Fatalf("another station fetched the form: %d", got)
		}

		body := signRequest{PNGBase64: base64.StdEncoding.EncodeToString(signaturePNG(t, 400, 150, true)), ContentSHA256: f.SHA256}
		if got := call(t, srv, "POST", "/api/v1/forms/"+f.ID+"/signature", station2, body, nil); got != http.StatusForbidden {
			t.Fatalf("another station signed: %d", got)
		}
		if got := call(t, srv, "POST", "/api/v1/forms/"+f.ID+"/signature", station1, signRequest{PNGBase64: "%%%", ContentSHA256: f.SHA256}, nil); got != http.StatusBadRequest {
			t.Fatalf("bad base64: %d", got)
		}
		var sig Signature
		if got := call(t, srv, "POST", "/api/v1/forms/"+f.ID+"/signature", station1, body, &sig); got != http.StatusCreated {
			t.Fatalf("sign: %d", got)
		}
		if got := call(t, srv, "POST", "/api/v1/forms/"+f.ID+"/signature", station1, body, nil); got != http.StatusConflict {
			t.Fatalf("signing twice: %d", got)
		}

		for _, tc := range []struct {
			who    identity.Identity
			status int
		}{{agent1, http.StatusOK}, {supervisor1, http.StatusOK}, {agent2, http.StatusForbidden}, {station1, http.StatusForbidden}} {
			status, img := getRaw(t, srv, sig.ImageURL, tc.who)
			if status != tc.status {
				t.Fatalf("signature image as %s: %d, want %d", tc.who.Username, status, tc.status)
			}
			if status == http.StatusOK && !bytes.HasPrefix(img, []byte("\x89PNG")) {
				t.Fatal("signature image is not the PNG")
			}
		}
		wantAudit := []string{"ag-1 signature.view", "ag-2 signature.view.denied", "st-1 signature.view.denied", "su-1 signature.view"}
		if got := e.auditActions(t, sig.ID); !slices.Equal(got, wantAudit) {
			t.Fatalf("signature audit = %q, want %q", got, wantAudit)
		}
		if got := e.auditActions(t, f.ID); !slices.Contains(got, "st-2 form.sign.denied") {
			t.Fatalf("refused signing not audited: %q", got)
		}

		var rc Receipt
		if got := call(t, srv, "GET", "/api/v1/cases/"+c.ID+"/receipt", station1, nil, &rc); got != http.StatusOK || rc.Number != c.Number {
			t.Fatalf("receipt at the station: %d %+v", got, rc)
		}
		if got := call(t, srv, "GET", "/api/v1/cases/"+c.ID+"/receipt", station2, nil, nil); got != http.StatusForbidden {
			t.Fatalf("receipt at another station: %d", got)
		}
	})
}

// getRaw fetches path as who and returns the status and body.
func getRaw(t *testing.T, srv *httptest.Server, path string, who identity.Identity) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+who.Username)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestStationGuessingCaseNumbersIsStopped(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		srv := e.server(t)
		c := e.openCase(t, "call-1", itemForwarded)
		serial := c.Number[:len(c.Number)-checkDigits]
		for i, wrong := 0, 0; wrong < defaultLookupFailures; i++ {
			guess := fmt.Sprintf("%s%06d", serial, i)
			if guess == c.Number {
				continue
			}
			wrong++
			if got := call(t, srv, "GET", "/api/v1/case-status/"+guess, station2, nil, nil); got != http.StatusNotFound {
				t.Fatalf("guess %d: status %d, want 404", i, got)
			}
		}
		// Even the right number is refused now, to that station only.
		if got := call(t, srv, "GET", "/api/v1/case-status/"+c.Number, station2, nil, nil); got != http.StatusTooManyRequests {
			t.Fatalf("lookup after %d wrong guesses: %d, want 429", defaultLookupFailures, got)
		}
		if got := call(t, srv, "GET", "/api/v1/case-status/"+c.Number, station1, nil, nil); got != http.StatusOK {
			t.Fatalf("another station's lookup: %d, want 200", got)
		}
		if actions := e.auditActions(t, station2.AccountID); !slices.Equal(actions, []string{"st-2 case.lookup.limited"}) {
			t.Fatalf("audit log = %q, want the limit recorded once", actions)
		}
		e.clock.Set(friday.Add(defaultLookupWindow))
		if got := call(t, srv, "GET", "/api/v1/case-status/"+c.Number, station2, nil, nil); got != http.StatusOK {
			t.Fatalf("lookup once the window has passed: %d, want 200", got)
		}
	})
}
