package documents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/auth/authtest"
	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

var (
	station1    = identity.Identity{AccountID: "st-1", Username: "station1", DisplayName: "东沙村", Role: identity.RoleStation}
	station2    = identity.Identity{AccountID: "st-2", Username: "station2", DisplayName: "西岛村", Role: identity.RoleStation}
	agent1      = identity.Identity{AccountID: "ag-1", Username: "agent1", DisplayName: "王坐席", Role: identity.RoleAgent}
	agent2      = identity.Identity{AccountID: "ag-2", Username: "agent2", DisplayName: "李坐席", Role: identity.RoleAgent}
	supervisor1 = identity.Identity{AccountID: "su-1", Username: "supervisor1", DisplayName: "张主管", Role: identity.RoleSupervisor}
	admin1      = identity.Identity{AccountID: "ad-1", Username: "admin", DisplayName: "管理员", Role: identity.RoleAdmin}
)

// testChunk is small so that test files span several chunks.
const testChunk = 4096

type env struct {
	svc     *Service
	cases   *cases.Service
	audit   *audit.Log
	calls   *calls.Store
	db      *store.DB
	dataDir string
	srv     *httptest.Server

	mu       sync.Mutex
	notified []Document
}

// forEachDB runs fn on every test database (see storetest.ForEachDB).
func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

// newEnv starts the service on db; mods change its configuration.
func newEnv(t testing.TB, db *store.DB, mods ...func(*Config)) *env {
	t.Helper()
	ctx := context.Background()
	cat := catalog.NewService(db, nil)
	err := cat.Create(ctx, catalog.Item{
		ID: "ts-allowance", NameZh: "高龄老人津贴申请", NameEn: "Old-age allowance application", Category: "elderly",
		SkillGroup: "elderly", Mode: catalog.ModeAssisted, TimeLimitDays: 5, Enabled: true, GuideZh: "核对身份证",
		Materials: []catalog.Material{
			{NameZh: "居民身份证", NameEn: "Resident ID card", Required: true},
			{NameZh: "户口簿", NameEn: "Household register", Required: true},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{audit: audit.New(db), calls: calls.NewStore(db), db: db, dataDir: t.TempDir()}
	e.cases = cases.NewService(db, cat, e.audit, nil, cases.Options{})
	cfg := Config{
		DataDir: e.dataDir, DB: db, Calls: e.calls, Cases: e.cases, Audit: e.audit,
		MaxSize: 64 << 10, ChunkSize: testChunk, Logger: slog.New(slog.DiscardHandler),
		OnDocument: func(d Document) { e.mu.Lock(); e.notified = append(e.notified, d); e.mu.Unlock() },
	}
	for _, mod := range mods {
		mod(&cfg)
	}
	e.svc, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v := fakeVerifier{}
	for _, id := range []identity.Identity{station1, station2, agent1, agent2, supervisor1, admin1} {
		v[id.Username] = id
	}
	mux := http.NewServeMux()
	e.svc.Routes(mux, v)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// newCall inserts a call from station1 to agent1 and opens its case.
func (e *env) newCall(t testing.TB, id string) calls.Call {
	t.Helper()
	c := calls.Call{
		ID: id, StationID: station1.AccountID, StationName: station1.DisplayName, AgentID: agent1.AccountID,
		AgentName: agent1.DisplayName, ItemID: "ts-allowance", ItemName: "高龄老人津贴申请", Category: "elderly",
		RequestedAt: time.Now(), AcceptedAt: time.Now(), Node: "n1",
	}
	if err := e.calls.Create(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cases.OpenForCall(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) notifiedStatuses() []Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Status
	for _, d := range e.notified {
		out = append(out, d.Status)
	}
	return out
}

// auditActions lists "actor action" entries on an object, sorted.
func (e *env) auditActions(t *testing.T, objectID string) []string {
	t.Helper()
	entries, err := e.audit.List(context.Background(), audit.Filter{ObjectID: objectID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.ActorID+" "+en.Action)
	}
	slices.Sort(out)
	return out
}

type fakeVerifier = authtest.Tokens

// request sends body (JSON unless it is []byte or an io.Reader) as who and
// returns the status and raw answer. A failed round trip returns status 0.
func (e *env) request(t *testing.T, method, path string, who identity.Identity, body any, header http.Header) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+who.Username)
	if cut, ok := body.(*cutReader); ok {
		req.ContentLength = cut.full
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// cutReader sends the first n bytes of a body announced as full bytes
// long, then fails like a dropped link.
type cutReader struct {
	r    io.Reader
	full int64
}

func newCutReader(b []byte, n int) *cutReader {
	return &cutReader{r: io.MultiReader(bytes.NewReader(b[:n]), errReader{}), full: int64(len(b))}
}

func (c *cutReader) Read(p []byte) (int, error) { return c.r.Read(p) }

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("link dropped") }

// uploader drives the upload protocol as a station does.
type uploader struct {
	t       *testing.T
	e       *env
	station identity.Identity
	data    []byte
	state   UploadState
}

func (e *env) uploader(t *testing.T, station identity.Identity, data []byte) *uploader {
	return &uploader{t: t, e: e, station: station, data: data}
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

// begin announces the file and returns the status.
func (u *uploader) begin(callID, filename, contentType string) int {
	u.t.Helper()
	status, raw := u.e.request(u.t, "POST", "/api/v1/uploads", u.station, UploadRequest{
		CallID: callID, Filename: filename, Size: int64(len(u.data)), SHA256: hexSHA(u.data), ContentType: contentType,
	}, nil)
	if status == http.StatusOK {
		u.state = decode[UploadState](u.t, raw)
	}
	return status
}

func (u *uploader) chunk(i int) []byte {
	end := min((i+1)*u.state.ChunkSize, len(u.data))
	return u.data[i*u.state.ChunkSize : end]
}

// put sends chunk i with its checksum; body overrides what is sent.
func (u *uploader) put(i int, body any) int {
	u.t.Helper()
	if body == nil {
		body = u.chunk(i)
	}
	h := http.Header{"X-Chunk-Sha256": {hexSHA(u.chunk(i))}}
	status, raw := u.e.request(u.t, "PUT", fmt.Sprintf("/api/v1/uploads/%s/chunks/%d", u.state.UploadID, i), u.station, body, h)
	if status == http.StatusOK {
		u.state = decode[UploadState](u.t, raw)
	}
	return status
}

// refresh asks the server what it has.
func (u *uploader) refresh() int {
	u.t.Helper()
	status, raw := u.e.request(u.t, "GET", "/api/v1/uploads/"+u.state.UploadID, u.station, nil, nil)
	if status == http.StatusOK {
		u.state = decode[UploadState](u.t, raw)
	}
	return status
}

// sendMissing sends every chunk the server lacks and returns the last status.
func (u *uploader) sendMissing() int {
	u.t.Helper()
	status := http.StatusOK
	for i := range u.state.Chunks {
		if !slices.Contains(u.state.Received, i) {
			if status = u.put(i, nil); status != http.StatusOK {
				return status
			}
		}
	}
	return status
}

func hexSHA(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// noisyPNG is a valid PNG that does not compress, so it spans chunks.
func noisyPNG(t *testing.T, side int, seed uint64) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.UintN(256))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func smallJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 40, 30))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.White)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func smallPDF() []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}
