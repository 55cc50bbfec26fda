package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloudwindow/client"
)

// TestBrowserConsultAndMerge: an agent consults the back office from the
// console while the kiosk shows the hold screen, then merges all three; the
// back-office agent sees the call as a consultation, and the kiosk lists
// the three people in the call by name and role and shows the back office's
// picture beside the agent's.
func TestBrowserConsultAndMerge(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	backOffice := openConsole(t, browser, n, "backoffice1")
	backOffice.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	kiosk.videoPlaying("#remote-video")
	if !evalJS[bool](agent.tab, `document.querySelector('#consult-merge').offsetParent === null`) {
		t.Error("the merge button shows before any consultation")
	}

	agent.click("#consult")
	kiosk.waitVisible("#hold-layer")
	if got := kiosk.text("#hold-text"); !strings.Contains(got, "咨询后台") {
		t.Errorf("kiosk hold screen says %q, want that the agent consults the back office", got)
	}
	backOffice.offerFrom(station1Name)
	backOffice.click("#offer-accept")
	backOffice.screen("call")
	backOffice.waitVisible("#collab-badge")
	if !evalJS[bool](backOffice.tab, `document.querySelector('#collab-start').hidden`) {
		t.Error("the consulted agent is offered transfer and consult controls")
	}
	agent.waitJS(`[...document.querySelectorAll('#participants li')].some((li) => li.dataset.role === 'consulted')`,
		"the back office in the agent's participant list")
	if !evalJS[bool](kiosk.tab, `!document.querySelector('#hold-layer').hidden`) {
		t.Error("the kiosk left the hold screen before the merge")
	}

	agent.click("#consult-merge")
	kiosk.waitJS(`document.querySelector('#hold-layer').hidden`, "the hold screen to go")
	kiosk.waitJS(`document.querySelectorAll('#call-parties li').length === 3`, "three people listed on the kiosk")
	people := kiosk.text("#call-parties")
	for _, want := range []string{"王芳", "赵静", "后台工作人员"} {
		if !strings.Contains(people, want) {
			t.Errorf("kiosk participants %q, want %q among them", people, want)
		}
	}
	kiosk.waitJS(`(() => { const t = document.querySelector('#other-tiles .other-tile[data-party="consult"]');
		return t && t.querySelector('figcaption').textContent === '赵静' && t.querySelector('video').videoWidth > 0; })()`,
		"the back office's picture and name as a tile on the kiosk")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		kiosk.screenshot(filepath.Join(screenshotDir, "station-three-way-call.png"))
		agent.screenshot(filepath.Join(screenshotDir, "console-three-way-call.png"))
	}
}

// TestBrowserSupervisorWhispersFromTheWatch: a supervisor watching a call
// in the console clicks 耳语; the agent receives their voice and the
// resident none of it; 回到监看 goes back to watching.
func TestBrowserSupervisorWhispersFromTheWatch(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	sv := openSupervisor(t, browser, n, "supervisor1")
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	var media []*client.Media
	for _, party := range []*client.Client{station, agent} {
		m, err := party.StartMedia(ctxT(t), callID, client.MediaOptions{})
		if err != nil {
			t.Fatalf("start media: %v", err)
		}
		t.Cleanup(m.Close)
		waitConnected(t, m)
		media = append(media, m)
	}
	sm, am := media[0], media[1]

	row := fmt.Sprintf(`#live-rows tr[data-call=%q]`, callID)
	sv.waitVisible(row)
	sv.click(row + ` button[data-action="watch"]`)
	sv.waitJS(`document.querySelector('#watch').dataset.state === 'live'`, "the watch to start")
	sv.waitVisible("#supervise-whisper")
	sv.click("#supervise-whisper")
	sv.waitJS(`document.querySelector('#supervise-mode').textContent.includes('耳语')`, "the mode to read 耳语")
	sendUntil(t, media, func() bool { return am.Received()["supervisor-main/audio"] >= 50 })
	if got := sm.Received()["supervisor-main/audio"]; got != 0 {
		t.Errorf("the resident received %d packets of the whisper", got)
	}

	sv.click("#supervise-watch")
	sv.waitJS(`document.querySelector('#supervise-mode').textContent.includes('监看')`, "the mode to read 监看 again")
	if evalJS[bool](sv.tab, `document.querySelector('#supervise-whisper').hidden`) {
		t.Error("耳语 is not offered again after going back to watching")
	}
}

// TestBrowserConsultAndHandOver: after consulting, the agent hands the call
// over; the agent goes to wrap-up, and the resident and the back office see
// and hear each other.
func TestBrowserConsultAndHandOver(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	backOffice := openConsole(t, browser, n, "backoffice1")
	backOffice.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	kiosk.videoPlaying("#remote-video")
	agent.click("#consult")
	kiosk.waitVisible("#hold-layer")
	backOffice.offerFrom(station1Name)
	backOffice.click("#offer-accept")
	backOffice.screen("call")
	agent.waitJS(`[...document.querySelectorAll('#participants li')].some((li) => li.dataset.role === 'consulted')`,
		"the back office in the agent's participant list")

	agent.click("#consult-handover")
	agent.screen("wrapup")
	kiosk.waitJS(`document.querySelector('#hold-layer').hidden`, "the hold screen to go")
	kiosk.waitJS(`document.querySelector('#call-agent').textContent === '赵静'`, "the back office named as the resident's agent")
	for _, p := range []*tab{kiosk.tab, backOffice.tab} {
		video := map[*tab]string{kiosk.tab: "#remote-video", backOffice.tab: "#station-video"}[p]
		p.waitJS(fmt.Sprintf(`(() => { const s = document.querySelector(%q).srcObject;
			return s && s.getTracks().length === 2 && s.getTracks().every((t) => t.readyState === 'live' && !t.muted); })()`, video),
			video+" showing the party who stayed")
		p.videoPlaying(video)
	}
}
