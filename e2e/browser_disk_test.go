package e2e

import (
	"fmt"
	"strings"
	"testing"

	"cloudwindow/node"
)

// TestConsoleSaysWhenACallIsNotRecorded: the recordings volume is gone, so
// the call goes on unrecorded; the agent's call screen says 本次通话未能录像
// and the supervisor's list of live calls marks the call.
func TestConsoleSaysWhenACallIsNotRecorded(t *testing.T) {
	browser := startBrowser(t)
	dataDir := t.TempDir()
	n := startNode(t, func(c *node.Config) { browserNode(c); c.DataDir = dataDir })
	breakRecordings(t, dataDir)
	sv := openSupervisor(t, browser, n, "supervisor1")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	station := dial(t, n, "station1")
	queued := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	callID := field[string](t, next(t, station, "call.started"), "call_id")
	if field[string](t, queued, "request_id") != callID {
		t.Fatalf("call %s is not the request %s", callID, field[string](t, queued, "request_id"))
	}

	agent.screen("call")
	agent.waitVisible("#call-unrecorded")
	if got := agent.text("#call-unrecorded"); got != "本次通话未能录像" {
		t.Errorf("agent's warning = %q, want 本次通话未能录像", got)
	}
	badge := fmt.Sprintf(`#live-rows tr[data-call=%q] .badge-unrecorded`, callID)
	sv.waitVisible(badge)
	if got := sv.text(badge); !strings.Contains(got, "未能录像") {
		t.Errorf("wallboard badge = %q, want 未能录像", got)
	}
	agent.click(`[data-lang="en"]`)
	if got := agent.text("#call-unrecorded"); got != "This call is not being recorded" {
		t.Errorf("English warning = %q", got)
	}
}

// TestKioskSaysWhenTheUploadQuotaIsReached: a call may send one file here;
// the second scan is refused once, with words the resident can act on,
// instead of "still sending" for ever.
func TestKioskSaysWhenTheUploadQuotaIsReached(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, func(c *node.Config) { browserNode(c); c.Uploads.MaxFilesPerCall = 1 })
	agent := dial(t, n, "agent1")
	ready(t, agent)
	kiosk := openStation(t, browser, n, "station1", 1920, 1080, "")
	kiosk.request("medical_insurance", itemOf(t, n, "medical_insurance"), "")
	offer := next(t, agent, "call.offer")
	request(t, agent, "call.accept", map[string]string{"request_id": field[string](t, offer, "request_id")})
	kiosk.screen("call")

	kiosk.waitVisible("#scan-capture")
	kiosk.click("#scan-capture")
	kiosk.waitJS(`document.querySelector('#scan-status').dataset.tone === 'ok'`, "the first scan sent")
	kiosk.click("#scan-capture")
	kiosk.waitJS(`document.querySelector('#scan-status').dataset.tone === 'error'`, "the second scan refused")
	if got := kiosk.text("#scan-text"); !strings.Contains(got, "请告诉工作人员") {
		t.Errorf("kiosk says %q, want that the call sent enough and to tell the agent", got)
	}
}
