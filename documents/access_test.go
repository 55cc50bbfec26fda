package documents

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"cloudwindow/cases"
	"cloudwindow/identity"
)

// uploadDocument sends data for call as station1 and returns the document.
func (e *env) uploadDocument(t *testing.T, callID string, data []byte) Document {
	t.Helper()
	u := e.uploader(t, station1, data)
	if got := u.begin(callID, "身份证.png", ""); got != http.StatusOK {
		t.Fatalf("begin: %d", got)
	}
	if got := u.sendMissing(); got != http.StatusOK || u.state.Document == nil {
		t.Fatalf("upload: %d %+v", got, u.state)
	}
	return *u.state.Document
}

func TestOnlyTheCallsAgentAndOverseersReadAScan(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		call := e.newCall(t, "call-1")
		data := noisyPNG(t, 40, 1)
		d := e.uploadDocument(t, call.ID, data)
		for _, tc := range []struct {
			who     identity.Identity
			content int
			list    int
		}{
			{agent1, http.StatusOK, http.StatusOK},
			{supervisor1, http.StatusOK, http.StatusOK},
			{admin1, http.StatusOK, http.StatusOK},
			{station1, http.StatusForbidden, http.StatusOK}, // it sent the scan; it never reads it back
			{agent2, http.StatusForbidden, http.StatusForbidden},
			{station2, http.StatusForbidden, http.StatusForbidden},
		} {
			t.Run(tc.who.Username, func(t *testing.T) {
				before := e.auditActions(t, d.ID)
				status, body := e.request(t, "GET", d.URL, tc.who, nil, nil)
				if status != tc.content {
					t.Fatalf("content: %d, want %d", status, tc.content)
				}
				want := tc.who.AccountID + " document.view"
				if status != http.StatusOK {
					want += ".denied"
					if strings.Contains(string(body), "PNG") {
						t.Fatal("a refusal carried the content")
					}
				} else if hexSHA(body) != d.SHA256 {
					t.Fatal("served content differs from the upload")
				}
				after := e.auditActions(t, d.ID)
				if len(after) != len(before)+1 || !slices.Contains(after, want) {
					t.Fatalf("audit %q → %q, want %q added", before, after, want)
				}
				var listed struct{ Documents []Document }
				status, raw := e.request(t, "GET", "/api/v1/calls/"+call.ID+"/documents", tc.who, nil, nil)
				if status != tc.list {
					t.Fatalf("list: %d, want %d", status, tc.list)
				}
				if status == http.StatusOK {
					listed = decode[struct{ Documents []Document }](t, raw)
					if len(listed.Documents) != 1 || listed.Documents[0].ID != d.ID {
						t.Fatalf("list = %+v", listed.Documents)
					}
				} else if !slices.Contains(e.auditActions(t, call.ID), tc.who.AccountID+" document.list.denied") {
					t.Fatal("refused list not audited")
				}
			})
		}
	})
}

func TestScanIsServedWithRangesAndItsDigest(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		call := e.newCall(t, "call-1")
		data := smallPDF()
		d := e.uploadDocument(t, call.ID, data)
		req, _ := http.NewRequest("GET", e.srv.URL+d.URL, nil)
		req.Header.Set("Authorization", "Bearer "+agent1.Username)
		req.Header.Set("Range", "bytes=0-7")
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusPartialContent || h.Get("Content-Range") != "bytes 0-7/"+strconv.Itoa(len(data)) ||
			h.Get("Content-Type") != "application/pdf" || h.Get("ETag") != `"`+d.SHA256+`"` ||
			!strings.HasPrefix(h.Get("Repr-Digest"), "sha-256=:") || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("range response %d %v", resp.StatusCode, h)
		}
		if !strings.Contains(h.Get("Content-Disposition"), "inline") {
			t.Fatalf("disposition %q", h.Get("Content-Disposition"))
		}
	})
}

func TestAnotherStationCannotUseTheUpload(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		call := e.newCall(t, "call-1")
		data := noisyPNG(t, 40, 2)
		other := e.uploader(t, station2, data)
		if got := other.begin(call.ID, "a.png", ""); got != http.StatusForbidden {
			t.Fatalf("another station announced a file for the call: %d", got)
		}
		own := e.uploader(t, station1, data)
		own.begin(call.ID, "a.png", "")
		other.state = own.state
		if got := other.put(0, nil); got != http.StatusForbidden {
			t.Fatalf("another station sent a chunk: %d", got)
		}
		if got := other.refresh(); got != http.StatusForbidden {
			t.Fatalf("another station read the upload: %d", got)
		}
		if !slices.Contains(e.auditActions(t, own.state.UploadID), "st-2 upload.chunk.denied") {
			t.Fatal("refused chunk not audited")
		}
		if got := own.refresh(); got != http.StatusOK || len(own.state.Received) != 0 {
			t.Fatalf("the refused chunk was kept: %+v", own.state)
		}
	})
}

func TestAgentReviewsScans(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		call := e.newCall(t, "call-1")
		blurry := e.uploadDocument(t, call.ID, noisyPNG(t, 40, 3))
		sharp := e.uploadDocument(t, call.ID, noisyPNG(t, 40, 4))

		if got, _ := e.request(t, "POST", blurry.URL+"/rescan", agent2, nil, nil); got != http.StatusForbidden {
			t.Fatalf("another agent asked for a re-scan: %d", got)
		}
		status, raw := e.request(t, "POST", blurry.URL+"/rescan", agent1, nil, nil)
		if status != http.StatusOK || decode[Document](t, raw).Status != StatusRescanRequested {
			t.Fatalf("rescan: %d %s", status, raw)
		}

		if got, _ := e.request(t, "POST", sharp.URL+"/accept", agent1, acceptRequest{Material: "结婚证"}, nil); got != http.StatusBadRequest {
			t.Fatalf("accepting as a material the item does not list: %d", got)
		}
		status, raw = e.request(t, "POST", sharp.URL+"/accept", agent1, acceptRequest{Material: "resident id card"}, nil)
		if status != http.StatusOK {
			t.Fatalf("accept: %d %s", status, raw)
		}
		res := decode[acceptResponse](t, raw)
		c, err := e.cases.ForCall(ctx, call.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Document.Status != StatusAccepted || res.Document.Material != "居民身份证" || res.Document.CaseID != c.ID {
			t.Fatalf("accepted document = %+v", res.Document)
		}
		want := []cases.Material{
			{NameZh: "居民身份证", NameEn: "Resident ID card", Required: true, Received: true, DocumentIDs: []string{sharp.ID}},
			{NameZh: "户口簿", NameEn: "Household register", Required: true, DocumentIDs: []string{}},
		}
		if len(res.Materials) != 2 || !materialEqual(res.Materials[0], want[0]) || !materialEqual(res.Materials[1], want[1]) {
			t.Fatalf("materials = %+v, want %+v", res.Materials, want)
		}
		if got, _ := e.request(t, "POST", sharp.URL+"/rescan", agent1, nil, nil); got != http.StatusConflict {
			t.Fatalf("re-scan of an accepted document: %d, want 409", got)
		}
		stored, _ := e.svc.Get(ctx, sharp.ID)
		if stored.Status != StatusAccepted {
			t.Fatalf("stored status %s", stored.Status)
		}
		wantHooks := []Status{StatusNew, StatusNew, StatusRescanRequested, StatusAccepted}
		if got := e.notifiedStatuses(); !slices.Equal(got, wantHooks) {
			t.Fatalf("OnDocument saw %q, want %q", got, wantHooks)
		}
	})
}

func materialEqual(a, b cases.Material) bool {
	return a.NameZh == b.NameZh && a.NameEn == b.NameEn && a.Required == b.Required && a.Received == b.Received &&
		slices.Equal(a.DocumentIDs, b.DocumentIDs)
}
