package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"cloudwindow/client"
	"cloudwindow/node"
)

// api calls the HTTP API as token and decodes the JSON answer into out.
func api(t *testing.T, n *node.Node, method, path, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, n.URL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if raw, ok := body.([]byte); ok {
		sum := sha256.Sum256(raw)
		req.Header.Set("X-Chunk-SHA256", hex.EncodeToString(sum[:]))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

func token(t *testing.T, n *node.Node, username string) string {
	t.Helper()
	tok, err := client.Login(ctxT(t), n.URL(), username, "demo")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// scanPNG is a small "document" image.
func scanPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		img.Set(x, x%48, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func TestCaseWorkScanFormSignatureAndWrapUp(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	stTok, agTok, otherTok := token(t, n, "station1"), token(t, n, "agent1"), token(t, n, "island1")
	ready(t, agent)
	callID := startCall(t, station, agent, "mi-001")

	// The station sends a scan; the agent is told and reads it intact.
	scan := scanPNG()
	sum := sha256.Sum256(scan)
	var up struct {
		UploadID string `json:"upload_id"`
		Status   string `json:"status"`
		Document *struct {
			ID string `json:"id"`
		} `json:"document"`
	}
	if code := api(t, n, "POST", "/api/v1/uploads", stTok, map[string]any{"call_id": callID, "filename": "id.png",
		"size": len(scan), "sha256": hex.EncodeToString(sum[:])}, &up); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("begin upload: %d %+v", code, up)
	}
	api(t, n, "PUT", "/api/v1/uploads/"+up.UploadID+"/chunks/0", stTok, scan, &up)
	if up.Document == nil {
		t.Fatalf("upload not done after its only chunk: %+v", up)
	}
	docID := up.Document.ID
	if d := field[map[string]any](t, next(t, agent, "document.updated"), "document"); d["id"] != docID || d["status"] != "new" {
		t.Errorf("agent told of %v", d)
	}
	if resp, body := httpGet(t, n.URL()+"/api/v1/documents/"+docID, agTok); resp.StatusCode != 200 || !bytes.Equal(body, scan) {
		t.Errorf("agent reads scan: %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp, _ := httpGet(t, n.URL()+"/api/v1/documents/"+docID, otherTok); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another station reads the scan: %d, want 403", resp.StatusCode)
	}
	if code := api(t, n, "POST", "/api/v1/documents/"+docID+"/accept", agTok, map[string]string{"material": "居民身份证"}, nil); code != http.StatusOK {
		t.Errorf("accept scan: %d", code)
	}

	// The agent pushes the confirmation sheet; the station signs exactly it.
	var cs struct {
		ID string `json:"id"`
	}
	api(t, n, "GET", "/api/v1/calls/"+callID+"/case", agTok, nil, &cs)
	if code := api(t, n, "POST", "/api/v1/cases/"+cs.ID+"/forms", agTok, nil, nil); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("push form: %d", code)
	}
	pushed := next(t, station, "form.pushed")
	var form struct {
		HTML   string `json:"html"`
		SHA256 string `json:"sha256"`
	}
	api(t, n, "GET", field[string](t, pushed, "url"), stTok, nil, &form)
	htmlSum := sha256.Sum256([]byte(form.HTML))
	if hex.EncodeToString(htmlSum[:]) != field[string](t, pushed, "sha256") {
		t.Fatalf("form content does not match its announced hash")
	}
	sig := map[string]string{"png_base64": base64.StdEncoding.EncodeToString(scanPNG()), "content_sha256": form.SHA256}
	if code := api(t, n, "POST", "/api/v1/forms/"+field[string](t, pushed, "form_id")+"/signature", stTok, sig, nil); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("sign: %d", code)
	}
	if field[string](t, next(t, agent, "form.signed"), "form_id") != field[string](t, pushed, "form_id") {
		t.Error("agent not told of the signature")
	}

	// Hang up, wrap up as forwarded: the case gets a due date, the station its receipt.
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	updated := request(t, agent, "call.wrapup", map[string]any{"call_id": callID, "outcome": "forwarded", "notes": "转医保中心"})
	number, due := field[string](t, updated, "number"), field[string](t, updated, "due_date")
	if number == "" || due == "" || field[string](t, updated, "state") != "forwarded" {
		t.Fatalf("case after wrap-up: %s", updated.Data)
	}
	if got := field[string](t, next(t, station, "case.updated"), "number"); got != number {
		t.Errorf("station told of case %q, want %q", got, number)
	}
	var status map[string]any
	api(t, n, "GET", "/api/v1/case-status/"+number, stTok, nil, &status)
	if status["state"] != "forwarded" || status["station_id"] != nil || status["item_name"] == nil {
		t.Errorf("public case status: %v", status)
	}
	// Another station learns nothing from date and serial alone, and with
	// the whole number only how the case stands.
	short := number[:strings.LastIndex(number, "-")]
	if code := api(t, n, "GET", "/api/v1/case-status/"+short, otherTok, nil, nil); code != http.StatusNotFound {
		t.Errorf("lookup of %s without check digits at another station: %d, want 404", short, code)
	}
	status = nil
	api(t, n, "GET", "/api/v1/case-status/"+number, otherTok, nil, &status)
	if status["state"] != "forwarded" || status["item_name"] != nil {
		t.Errorf("case status at another station: %v, want the state without the item", status)
	}
}
