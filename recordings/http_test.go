package recordings

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/store"
)

// tokens is a Verifier: the token is the role's name.
type tokens map[string]identity.Identity

func (v tokens) Verify(_ context.Context, token string) (identity.Identity, error) {
	id, ok := v[token]
	if !ok {
		return identity.Identity{}, errors.New("unknown token")
	}
	return id, nil
}

var testTokens = tokens{
	"station":    {AccountID: "st-1", Username: "station1", Role: identity.RoleStation},
	"agent":      {AccountID: "ag-1", Username: "agent1", Role: identity.RoleAgent},
	"supervisor": {AccountID: "su-1", Username: "super1", DisplayName: "李主任", Role: identity.RoleSupervisor},
	"admin":      {AccountID: "ad-1", Username: "admin", Role: identity.RoleAdmin},
}

type reviewServer struct {
	*testRecorder
	url   string
	audit *audit.Log
	file  File
}

// newReviewServer records a short real call, indexes its call row and
// events, and serves the review API.
func newReviewServer(t *testing.T, db *store.DB) *reviewServer {
	t.Helper()
	tr := newTestRecorder(t, db, t.TempDir())
	tr.queueLen = 1 << 15
	ctx := context.Background()
	cs := calls.NewStore(db)
	call := testCall
	call.AcceptedAt = tr.now()
	if err := cs.Create(ctx, call); err != nil {
		t.Fatal(err)
	}
	for _, e := range []calls.Event{{At: tr.now(), Type: "accepted", Actor: "agent1"}, {At: tr.now().Add(time.Second), Type: "chat", Actor: "station1", Detail: "你好"}} {
		if err := cs.AddEvent(ctx, call.ID, e); err != nil {
			t.Fatal(err)
		}
	}
	st := stream{start: tr.clock.Now(), length: 3 * time.Second, keyEvery: 25, srEvery: time.Second}
	p := tr.join(t, call, "station", true)
	tr.feed(p, st.arrivals())
	p.close()
	tr.wait(t, call.ID)

	log := audit.New(db)
	mux := http.NewServeMux()
	tr.Routes(mux, testTokens, log)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &reviewServer{testRecorder: tr, url: srv.URL, audit: log, file: tr.files(t, call.ID)[0]}
}

func (s *reviewServer) do(t *testing.T, method, path, token, body string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (s *reviewServer) audited(t *testing.T) []audit.Entry {
	t.Helper()
	es, err := s.audit.List(context.Background(), audit.Filter{ObjectType: "recording", ObjectID: testCall.ID})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestOnlySupervisorsAndAdminsReachRecordings(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			s := newReviewServer(t, db)
			endpoints := []struct{ method, path, body string }{
				{"GET", "/api/v1/recordings", ""},
				{"GET", "/api/v1/recordings/" + testCall.ID, ""},
				{"GET", "/api/v1/recordings/" + testCall.ID + "/files/" + s.file.ID, ""},
				{"POST", "/api/v1/recordings/" + testCall.ID + "/notes", `{"at_ms": 1, "text": "x"}`},
				{"PUT", "/api/v1/recordings/" + testCall.ID + "/hold", `{"hold": true}`},
			}
			for _, e := range endpoints {
				for token, want := range map[string]int{"": 401, "forged": 401, "station": 403, "agent": 403} {
					if got := s.do(t, e.method, e.path, token, e.body).StatusCode; got != want {
						t.Errorf("%s %s as %q = %d, want %d", e.method, e.path, token, got, want)
					}
				}
			}
			if es := s.audited(t); len(es) != 0 {
				t.Errorf("refused requests were audited as accesses: %+v", es)
			}
			if got := s.do(t, "GET", "/api/v1/recordings", "admin", "").StatusCode; got != 200 {
				t.Errorf("admin list = %d", got)
			}
		})
	}
}

func TestSupervisorReviewsAndPlaysARecording(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			s := newReviewServer(t, db)
			var page Page
			decode(t, s.do(t, "GET", "/api/v1/recordings?island=true&station=st-1", "supervisor", ""), 200, &page)
			if len(page.Sessions) != 1 || !page.Sessions[0].Island || page.Sessions[0].Status != StatusFinished {
				t.Fatalf("list = %+v", page)
			}

			var note Note
			decode(t, s.do(t, "POST", "/api/v1/recordings/"+testCall.ID+"/notes", "supervisor", `{"at_ms": 1500, "text": "居民未出示身份证"}`), 201, &note)
			if note.AuthorName != "李主任" || note.AtMs != 1500 {
				t.Errorf("note = %+v", note)
			}
			var d SessionDetail
			decode(t, s.do(t, "GET", "/api/v1/recordings/"+testCall.ID, "supervisor", ""), 200, &d)
			if d.Call == nil || d.Call.StationName != testCall.StationName || len(d.Events) != 2 || len(d.Files) != 1 || len(d.Notes) != 1 {
				t.Fatalf("session page = %+v", d)
			}

			media := "/api/v1/recordings/" + testCall.ID + "/files/" + s.file.ID
			onDisk, _ := os.ReadFile(s.pathOf(s.file))
			full := s.do(t, "GET", media, "supervisor", "")
			body, _ := io.ReadAll(full.Body)
			if full.StatusCode != 200 || !bytes.Equal(body, onDisk) || full.Header.Get("Content-Type") != "video/webm" {
				t.Fatalf("full GET = %d %s, %d bytes of %d", full.StatusCode, full.Header.Get("Content-Type"), len(body), len(onDisk))
			}
			part := s.do(t, "GET", media, "supervisor", "", "Range", "bytes=100-199")
			body, _ = io.ReadAll(part.Body)
			if part.StatusCode != 206 || !bytes.Equal(body, onDisk[100:200]) {
				t.Fatalf("range GET = %d, %d bytes", part.StatusCode, len(body))
			}
			if got := s.do(t, "GET", media+"?download=1", "supervisor", "").Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment") {
				t.Errorf("download disposition = %q", got)
			}

			actions := map[string]int{}
			for _, e := range s.audited(t) {
				actions[e.Action]++
				if e.ActorID != "su-1" || e.RemoteAddr != "127.0.0.1" {
					t.Errorf("audit entry %+v lacks who or where", e)
				}
			}
			want := map[string]int{ActionNote: 1, ActionView: 1, ActionPlay: 2, ActionDownload: 1}
			for a, n := range want {
				if actions[a] != n {
					t.Errorf("audit has %d %s, want %d (all: %v)", actions[a], a, n, actions)
				}
			}
		})
	}
}

func TestBadReviewRequestsChangeNothing(t *testing.T) {
	s := newReviewServer(t, testSQLite(t))
	notes := "/api/v1/recordings/" + testCall.ID + "/notes"
	cases := []struct {
		name, method, path, body string
		want                     int
	}{
		{"empty note", "POST", notes, `{"at_ms": 0, "text": "  "}`, 400},
		{"note past the end", "POST", notes, `{"at_ms": 999999999, "text": "x"}`, 400},
		{"note without time", "POST", notes, `{"text": "x"}`, 400},
		{"note, unknown field", "POST", notes, `{"at_ms": 0, "text": "x", "pin": 1}`, 400},
		{"note on unknown call", "POST", "/api/v1/recordings/nope/notes", `{"at_ms": 0, "text": "x"}`, 404},
		{"hold without value", "PUT", "/api/v1/recordings/" + testCall.ID + "/hold", `{}`, 400},
		{"unknown call", "GET", "/api/v1/recordings/nope", "", 404},
		{"unknown file", "GET", "/api/v1/recordings/" + testCall.ID + "/files/nope", "", 404},
		{"bad date", "GET", "/api/v1/recordings?from=yesterday", "", 400},
		{"bad status", "GET", "/api/v1/recordings?status=lost", "", 400},
		{"bad cursor", "GET", "/api/v1/recordings?cursor=!!!", "", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(t, tc.method, tc.path, "supervisor", tc.body)
			var e struct {
				Error struct{ Code, Message string }
			}
			decode(t, resp, tc.want, &e)
			if e.Error.Code == "" || e.Error.Message == "" {
				t.Errorf("error body lacks code or message: %+v", e)
			}
		})
	}
	d, err := s.Session(context.Background(), testCall.ID)
	if err != nil || len(d.Notes) != 0 || d.LegalHold {
		t.Errorf("bad requests changed the session: %+v %v", d, err)
	}
}

func decode(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s = %d %s, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, b, status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode %s: %v", resp.Request.URL.Path, err)
	}
}
