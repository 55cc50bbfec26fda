package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"cloudwindow/calls"
	"cloudwindow/node"
)

// flakyUploads makes the kiosk's link drop twice while a scan goes up: the
// first chunk never leaves, and the answer to the second try is lost
// although the server stored the chunk. It logs every upload request in
// window.uploadLog.
const flakyUploads = `(() => {
	const send = window.fetch.bind(window);
	const log = [];
	window.uploadLog = log;
	let puts = 0;
	window.fetch = async (resource, init = {}) => {
		const url = String(resource.url ?? resource);
		if (!url.includes('/api/v1/uploads')) return send(resource, init);
		const entry = { method: (init.method || 'GET').toUpperCase(), url };
		if (entry.method === 'POST') entry.sha256 = JSON.parse(init.body).sha256;
		log.push(entry);
		if (entry.method === 'PUT' && ++puts === 1) {
			entry.lost = 'request';
			throw new TypeError('Failed to fetch');
		}
		const res = await send(resource, init);
		if (entry.method === 'PUT' && puts === 2) {
			entry.lost = 'answer';
			throw new TypeError('Failed to fetch');
		}
		return res;
	};
})();`

// TestBrowserCaseWork follows one case through both web apps: a scan from
// the document camera over a dropping link, taken again at the agent's
// request and accepted as a material; the confirmation form signed on the
// touchscreen; the rating; the wrap-up that forwards the case; the
// receipt; and the status lookup.
func TestBrowserCaseWork(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1920, 1080, flakyUploads)

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	agent.screen("call")
	callID := evalJS[string](agent.tab, `window.cloudWindow.call.data.call_id`)
	number := evalJS[string](agent.tab, `window.cloudWindow.call.data.case_number`)
	if got := agent.text("#case-number"); got != number || number == "" {
		t.Fatalf("console shows case %q, call.started said %q", got, number)
	}

	docID := sendScan(t, n, kiosk, agent, callID)
	docID = rescan(t, agent, kiosk, docID)
	acceptScan(t, agent, kiosk, docID)
	signForm(t, agent, kiosk, number)

	agent.click("#hangup")
	rate(t, n, kiosk, callID)
	kiosk.screen("receipt-wait")
	agent.screen("wrapup")
	agent.click(`#wrapup-form input[value="needs_materials"]`)
	agent.waitVisible("#wrapup-missing")
	missing := evalJS[[]string](agent.tab, `[...document.querySelectorAll('#wrapup-missing input:checked')].map((i) => i.value)`)
	if !slices.Equal(missing, []string{"户口簿"}) {
		t.Errorf("wrap-up proposes %q as missing, want the required 户口簿 only (the ID card is in)", missing)
	}
	agent.wrapUp("forwarded")
	if got := agent.text("#last-case-number"); got != number {
		t.Errorf("console's last case is %q, want %q", got, number)
	}
	due := strings.TrimPrefix(agent.text("#last-case-due"), "承诺办结日期：")
	if _, err := time.Parse("2006-01-02", due); err != nil {
		t.Errorf("console's due date %q: %v", agent.text("#last-case-due"), err)
	}
	receipt(t, kiosk, number, due)
	checkCasePage(t, n, callID, docID, due)
	lookUp(t, kiosk, number, due)
}

// sendScan takes a still from the document camera and checks that the agent
// gets it whole, at the camera's resolution, once, though the link dropped.
func sendScan(t *testing.T, n *node.Node, kiosk station, agent console, callID string) string {
	t.Helper()
	kiosk.waitVisible("#scan-capture")
	kiosk.click("#scan-capture")
	kiosk.waitJS(`document.querySelector('#scan-status').dataset.tone === 'ok'`, "the scan sent")
	agent.waitVisible("#scan-list [data-doc] img")
	docID := evalJS[string](agent.tab, `document.querySelector('#scan-list [data-doc]').dataset.doc`)

	var log []struct {
		Method, URL, SHA256, Lost string
	}
	if err := json.Unmarshal([]byte(evalJS[string](kiosk.tab, `JSON.stringify(window.uploadLog)`)), &log); err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, e := range log {
		methods = append(methods, e.Method+" "+e.Lost)
	}
	want := []string{"POST ", "PUT request", "GET ", "PUT answer", "GET "}
	if !slices.Equal(methods, want) {
		t.Errorf("upload requests %q, want %q: announce, lost chunk, resume, chunk whose answer is lost, resume", methods, want)
	}

	sup := token(t, n, "supervisor1")
	var list struct {
		Documents []struct{ ID, SHA256 string }
	}
	api(t, n, "GET", "/api/v1/calls/"+callID+"/documents", sup, nil, &list)
	if len(list.Documents) != 1 || list.Documents[0].ID != docID {
		t.Fatalf("call documents %+v, want the one scan %s", list.Documents, docID)
	}
	resp, body := httpGet(t, n.URL()+"/api/v1/documents/"+docID, sup)
	sum := sha256.Sum256(body)
	if resp.StatusCode != http.StatusOK || len(log) == 0 || hex.EncodeToString(sum[:]) != log[0].SHA256 {
		t.Errorf("stored scan: %d, %d bytes, not the file the kiosk announced", resp.StatusCode, len(body))
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	camW := evalJS[float64](kiosk.tab, `document.querySelector('#document-video').srcObject.getVideoTracks()[0].getSettings().width`)
	if err != nil || float64(cfg.Width) < camW {
		t.Errorf("scan is %dx%d (%v), want the document camera's full width %.0f", cfg.Width, cfg.Height, err, camW)
	}
	return docID
}

// rescan has the agent ask for the scan again and the resident take
// another; it returns the new scan.
func rescan(t *testing.T, agent console, kiosk station, docID string) string {
	t.Helper()
	agent.click(fmt.Sprintf(`#scan-list [data-doc=%q]`, docID))
	agent.click("#viewer-rescan")
	agent.waitJS(`document.querySelector('#scan-viewer').hidden`, "the viewer closed")
	agent.waitJS(fmt.Sprintf(`document.querySelector('#scan-list [data-doc=%q]').dataset.status === 'rescan_requested'`, docID), "the scan marked for a re-scan")
	kiosk.waitJS(`document.querySelector('#scan-capture').classList.contains('is-wanted') && document.querySelector('#scan-status').dataset.tone === 'warning'`,
		"the resident asked for another photo")
	kiosk.click("#scan-capture")
	agent.waitJS(`document.querySelectorAll('#scan-list [data-doc]').length === 2`, "the second scan")
	return evalJS[string](agent.tab, fmt.Sprintf(`[...document.querySelectorAll('#scan-list [data-doc]')].find((b) => b.dataset.doc !== %q).dataset.doc`, docID))
}

// acceptScan opens the scan, turns it, and accepts it as the ID card.
func acceptScan(t *testing.T, agent console, kiosk station, docID string) {
	t.Helper()
	agent.click(fmt.Sprintf(`#scan-list [data-doc=%q]`, docID))
	agent.waitJS(`!document.querySelector('#viewer-canvas').hidden && document.querySelector('#viewer-canvas').width > 0`, "the scan in the viewer")
	w := evalJS[float64](agent.tab, `document.querySelector('#viewer-canvas').width`)
	h := evalJS[float64](agent.tab, `document.querySelector('#viewer-canvas').height`)
	agent.click("#viewer-rotate-right")
	agent.click("#viewer-zoom-in")
	if got := evalJS[float64](agent.tab, `document.querySelector('#viewer-canvas').width`); got != h {
		t.Errorf("turned scan is %.0f wide, want its height %.0f (it was %.0fx%.0f)", got, h, w, h)
	}
	agent.do("choose the material", chromedp.SetValue(chromedp.CSS("#viewer-material"), "居民身份证"))
	agent.click("#viewer-accept")
	agent.waitJS(`document.querySelector('#scan-viewer').hidden`, "the viewer closed")
	agent.waitJS(`document.querySelector('#guide-materials [data-material="居民身份证"]').classList.contains('is-received')`,
		"the ID card ticked in the materials list")
	kiosk.waitJS(`document.querySelector('#scan-text').textContent.includes('居民身份证')`, "the resident told the scan was taken in")
}

// signForm has the agent push the confirmation form and the resident sign
// it with a finger.
func signForm(t *testing.T, agent console, kiosk station, number string) {
	t.Helper()
	agent.expand("#resident-details")
	agent.fill("#resident-name", "王建国")
	agent.click("#push-form")
	agent.waitJS(`document.querySelector('#form-status').dataset.state === 'waiting'`, "the form pushed")
	kiosk.waitVisible("#sign-layer")
	kiosk.waitJS(fmt.Sprintf(`(document.querySelector('#sign-form').contentDocument?.body?.textContent ?? '').includes(%q)`, number),
		"the form with the case number")
	if got := evalJS[string](kiosk.tab, `document.querySelector('#sign-form').contentDocument.body.textContent`); !strings.Contains(got, "王建国") {
		t.Errorf("form on the kiosk lacks the resident's name: %q", got)
	}

	kiosk.click("#sign-confirm")
	if got := kiosk.text("#sign-error"); !strings.Contains(got, "签") {
		t.Errorf("confirming a blank pad says %q, want to sign first", got)
	}
	box := evalJS[[]float64](kiosk.tab, `(() => { const r = document.querySelector('#sign-pad').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	x, y, w, h := box[0], box[1], box[2], box[3]
	kiosk.touchStroke([][2]float64{{x + w*0.2, y + h*0.6}, {x + w*0.3, y + h*0.3}, {x + w*0.45, y + h*0.7}, {x + w*0.6, y + h*0.35}, {x + w*0.8, y + h*0.6}})
	kiosk.waitJS(`document.querySelector('#sign-pad-hint').hidden`, "ink on the pad")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		kiosk.screenshot(filepath.Join(screenshotDir, "station-sign-landscape.png"))
	}
	kiosk.click("#sign-confirm")
	kiosk.waitVisible("#sign-done")
	agent.waitJS(`document.querySelector('#form-status').dataset.state === 'signed'`, "the console told of the signature")
	agent.waitJS(`!document.querySelector('#signature-image').hidden && document.querySelector('#signature-image').naturalWidth > 0`,
		"the signature shown to the agent")
	kiosk.waitJS(`document.querySelector('#sign-layer').hidden`, "the kiosk back to the video")
}

// rate gives five stars with a comment and checks the call has them.
func rate(t *testing.T, n *node.Node, kiosk station, callID string) {
	t.Helper()
	kiosk.screen("ended")
	kiosk.click(`[data-score="5"]`)
	kiosk.click(`[data-chip="chip.patient"]`)
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		kiosk.screenshot(filepath.Join(screenshotDir, "station-rating-landscape.png"))
	}
	kiosk.click("#rating-submit")
	deadline := time.Now().Add(waitLimit)
	for {
		events, err := n.Calls.Events(context.Background(), callID)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(events, func(e calls.Event) bool { return e.Type == "rated" && strings.HasPrefix(e.Detail, "5/5 很耐心") }) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rating 5/5 很耐心 among the call's events %+v", events)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// receipt checks that the kiosk shows and prints the receipt.
func receipt(t *testing.T, kiosk station, number, due string) {
	t.Helper()
	kiosk.screen("receipt")
	if got := kiosk.text("#receipt-number"); got != number {
		t.Errorf("receipt shows case %q, want %q", got, number)
	}
	if got := kiosk.text("#receipt-due"); got != due {
		t.Errorf("receipt shows due date %q, want %q", got, due)
	}
	kiosk.waitJS(fmt.Sprintf(`document.querySelector('#receipt-frame').contentDocument?.body?.textContent.includes(%q)`, number),
		"the printable receipt with the case number")
	kiosk.waitJS(`document.querySelector('#receipt-frame').contentDocument.querySelector('svg path') !== null`, "the receipt's QR code")
	kiosk.waitJS(`window.cloudWindow.afterCall.prints === 1`, "the receipt printed once")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		kiosk.screenshot(filepath.Join(screenshotDir, "station-receipt-landscape.png"))
	}
	kiosk.click(`[data-screen="receipt"] [data-action="home"]`)
	kiosk.screen("idle")
}

// checkCasePage reads the case as a supervisor: the material, the form,
// the signature on exactly that form, and the timeline.
func checkCasePage(t *testing.T, n *node.Node, callID, docID, due string) {
	t.Helper()
	type material struct {
		NameZh      string   `json:"name_zh"`
		Received    bool     `json:"received"`
		DocumentIDs []string `json:"document_ids"`
	}
	var c struct {
		State      string `json:"state"`
		DueDate    string `json:"due_date"`
		Resident   struct{ Name string }
		Materials  []material
		Forms      []struct{ ID, SHA256 string }
		Signatures []struct {
			FormID        string `json:"form_id"`
			ContentSHA256 string `json:"content_sha256"`
		}
		Events []struct{ Type string }
	}
	sup := token(t, n, "supervisor1")
	var found struct{ ID string }
	api(t, n, "GET", "/api/v1/calls/"+callID+"/case", sup, nil, &found)
	if code := api(t, n, "GET", "/api/v1/cases/"+found.ID, sup, nil, &c); code != http.StatusOK {
		t.Fatalf("case page: %d", code)
	}
	if c.State != "forwarded" || c.DueDate != due || c.Resident.Name != "王建国" {
		t.Errorf("case is %s due %q for %q, want forwarded due %s for 王建国", c.State, c.DueDate, c.Resident.Name, due)
	}
	if !slices.ContainsFunc(c.Materials, func(m material) bool {
		return m.NameZh == "居民身份证" && m.Received && slices.Contains(m.DocumentIDs, docID)
	}) {
		t.Errorf("materials %+v, want 居民身份证 received as scan %s", c.Materials, docID)
	}
	if len(c.Forms) != 1 || len(c.Signatures) != 1 || c.Signatures[0].FormID != c.Forms[0].ID || c.Signatures[0].ContentSHA256 != c.Forms[0].SHA256 {
		t.Errorf("forms %+v and signatures %+v, want one form signed as it was", c.Forms, c.Signatures)
	}
	var types []string
	for _, e := range c.Events {
		types = append(types, e.Type)
	}
	for _, want := range []string{"opened", "material_attached", "resident_updated", "form_created", "signed", "wrapped_up"} {
		if !slices.Contains(types, want) {
			t.Errorf("timeline %v lacks %s", types, want)
		}
	}
}

// lookUp finds the case by its number on the kiosk, typed on its keypad.
func lookUp(t *testing.T, kiosk station, number, due string) {
	t.Helper()
	kiosk.click("#start-lookup")
	kiosk.screen("lookup")
	for _, r := range strings.TrimPrefix(number, "YW") {
		if r != '-' { // the dash comes by itself after the date
			kiosk.click(fmt.Sprintf(`#keypad [data-key="%c"]`, r))
		}
	}
	if got := evalJS[string](kiosk.tab, `document.querySelector('#lookup-number').value`); got != number {
		t.Fatalf("keypad typed %q, want %q", got, number)
	}
	kiosk.click("#lookup-submit")
	kiosk.waitVisible("#lookup-result")
	if got := kiosk.text("#lookup-result-state"); !strings.Contains(got, "后台") {
		t.Errorf("status says %q, want forwarded to the back office", got)
	}
	if got := kiosk.text("#lookup-result-due"); !strings.Contains(got, due) {
		t.Errorf("status says %q, want the due date %s", got, due)
	}
}

// touchStroke draws one finger stroke through points (CSS pixels).
func (p *tab) touchStroke(points [][2]float64) {
	p.t.Helper()
	touch := func(typ input.DispatchTouchEventType, pts []*input.TouchPoint) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tt, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts})
			return err
		})
	}
	at := func(pt [2]float64) []*input.TouchPoint { return []*input.TouchPoint{{X: pt[0], Y: pt[1]}} }
	actions := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, at(points[0]))}
	for i := 1; i < len(points); i++ {
		// Intermediate points make the stroke a line, not a jump.
		for s := 1; s <= 5; s++ {
			f := float64(s) / 5
			pt := [2]float64{points[i-1][0] + (points[i][0]-points[i-1][0])*f, points[i-1][1] + (points[i][1]-points[i-1][1])*f}
			actions = append(actions, touch(input.DispatchTouchEventTypeTouchMove, at(pt)))
		}
	}
	actions = append(actions, touch(input.DispatchTouchEventTypeTouchEnd, []*input.TouchPoint{}))
	p.do("draw a stroke", actions...)
}
