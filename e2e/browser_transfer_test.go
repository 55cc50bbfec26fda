package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrowserTransferToNamedColleague: the agent picks 李明 by name from
// the ready colleagues in the 协同 card and transfers the call; the kiosk
// shows 正在为您转接…, 李明 takes it, the first agent goes to wrap-up,
// and 李明 and the resident see and hear each other (inbound bytes grow
// on both sides).
func TestBrowserTransferToNamedColleague(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	agent, kiosk := browserCall(t, browser, n)
	kiosk.videoPlaying("#remote-video")

	colleague := openConsole(t, browser, n, "agent2")
	colleague.ready()
	agent.waitJS(`(() => { const s = document.querySelector('#transfer-colleague'); s.focus(); s.blur();
		return [...s.options].some((o) => o.textContent.includes('李明')); })()`, "李明 among the ready colleagues")
	agent.waitJS(`(() => { const s = document.querySelector('#transfer-colleague');
		s.value = [...s.options].find((o) => o.textContent.includes('李明')).value; return s.value !== ''; })()`, "李明 chosen")
	agent.click("#transfer-named")
	kiosk.waitVisible("#hold-layer")
	if got := kiosk.text("#hold-text"); !strings.Contains(got, "正在为您转接") {
		t.Errorf("kiosk hold screen says %q, want 正在为您转接…", got)
	}
	agent.waitJS(`document.querySelector('#collab-status').textContent.includes('李明')`, "the transfer to 李明 in the agent's status")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		agent.screenshot(filepath.Join(screenshotDir, "console-transfer-named.png"))
	}

	colleague.offerFrom(station1Name)
	colleague.click("#offer-accept")
	colleague.screen("call")
	agent.screen("wrapup")
	kiosk.waitJS(`document.querySelector('#hold-layer').hidden`, "the hold screen to go")
	kiosk.waitJS(`document.querySelector('#call-agent').textContent === '李明'`, "李明 named as the resident's agent")
	kiosk.videoPlaying("#remote-video")
	colleague.videoPlaying("#station-video")
	for _, p := range []*tab{kiosk.tab, colleague.tab} {
		p.inboundGrowing("audio")
		p.inboundGrowing("video")
	}
}
