package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// audioFlows waits until the page's call receives sound from n others and
// keeps receiving it: its inbound audio streams with bytes, then more bytes.
func (p *tab) audioFlows(n int, what string) {
	p.t.Helper()
	bytes := `(async () => {
		const pc = window.cloudWindow.call.connection?.pc;
		if (!pc) return [];
		const out = [];
		for (const s of (await pc.getStats()).values()) {
			if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.bytesReceived > 1000) out.push(s.bytesReceived);
		}
		return out;
	})()`
	p.waitJS(fmt.Sprintf(`%s.then((b) => b.length >= %d)`, bytes, n), what)
	total := fmt.Sprintf(`%s.then((b) => b.reduce((a, x) => a + x, 0))`, bytes)
	start := evalJS[float64](p, total)
	p.waitJS(fmt.Sprintf(`%s.then((t) => t > %f)`, total, start), what+" going on")
}

// TestBrowserGuestJoinsFromAPhoneAfterConsent: a helper signs in on the
// kiosk with their PIN and the agent sees them in the call; the agent
// invites a family member from the console; the link opens on a phone-sized page that waits
// until the resident taps 同意 on the kiosk; then the guest sees the call
// and all three hear each other. The agent removes the guest, whose page
// says so.
func TestBrowserGuestJoinsFromAPhoneAfterConsent(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.click("#helper-sign-in")
	kiosk.fill("#helper-sign-username", "helper1")
	kiosk.fill("#helper-sign-pin", "2468")
	kiosk.click("#helper-sign-submit")
	kiosk.waitJS(`document.querySelector('#helper-chip').textContent.includes('东海渔嫂')`, "the helper signed in on the kiosk")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	kiosk.videoPlaying("#remote-video")

	agent.waitVisible("#guests")
	agent.fill("#guest-name", "女儿小林")
	agent.click("#guest-invite")
	agent.waitVisible("#guest-link")
	link := evalJS[string](agent.tab, `document.querySelector('#guest-link').value`)
	if !strings.HasPrefix(link, n.URL()+"/guest/#") {
		t.Fatalf("invitation link %q", link)
	}

	phone := openTab(t, browser, "guest", link, 390, 844, "")
	kiosk.waitVisible("#guest-consent")
	if got := kiosk.text("#consent-text"); !strings.Contains(got, "女儿小林") {
		t.Errorf("the kiosk asks %q, want the guest's name", got)
	}
	phone.waitJS(`document.querySelector('#guest-message').textContent.includes('等待居民同意')`, "the guest told to wait")
	if !evalJS[bool](phone, `document.querySelector('#guest-stage').hidden`) {
		t.Error("the guest sees the call before the resident agreed")
	}
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		kiosk.screenshot(filepath.Join(screenshotDir, "station-guest-consent.png"))
	}
	kiosk.click("#consent-allow")

	phone.waitVisible("#guest-stage")
	phone.videoPlaying("#guest-remote")
	phone.audioFlows(2, "the guest hears the resident and the agent")
	kiosk.audioFlows(2, "the resident hears the agent and the guest")
	agent.audioFlows(2, "the agent hears the resident and the guest")
	agent.waitJS(`[...document.querySelectorAll('#participants li')].some((li) => li.dataset.role === 'guest' && li.textContent.includes('女儿小林'))`,
		"the guest in the agent's participant list")
	agent.waitJS(`[...document.querySelectorAll('#participants li')].some((li) => li.dataset.role === 'helper' && li.textContent.includes('东海渔嫂'))`,
		"the kiosk's helper in the agent's participant list")
	kiosk.waitJS(`document.querySelector('#call-parties').textContent.includes('女儿小林')`, "the guest listed on the kiosk")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		phone.screenshot(filepath.Join(screenshotDir, "guest-phone.png"))
	}

	agent.click("#guest-list .guest-remove")
	phone.waitJS(`document.body.dataset.view === 'ended' && document.querySelector('#guest-message').textContent.includes('离开')`, "the guest told they were removed")
	agent.waitJS(`![...document.querySelectorAll('#participants li')].some((li) => li.dataset.role === 'guest')`, "the guest gone from the participants")
}
