package e2e

import (
	"fmt"
	"testing"

	"cloudwindow/linkemu"
)

// TestBrowserWeakLinkNotice runs a kiosk and a console call whose media crosses a
// link too thin for video (100 kbit/s down): both screens say that video is paused
// and the call goes on, and the notice goes once the link recovers.
func TestBrowserWeakLinkNotice(t *testing.T) {
	browser := startBrowser(t)
	thin := linkemu.Profiles["island-weak"]
	thin.Up = linkemu.Profiles["good"].Up
	thin.Down.RateBps = 100_000
	n, link, _ := islandNode(t, thin, true, browserNode)
	agent, kiosk := browserCall(t, browser, n)

	shown := fmt.Sprintf(`(() => { const el = document.querySelector('#call-weak-link');
		return !el.hidden && el.textContent === %q && el.offsetParent !== null; })()`, "网络较差，已暂停视频，通话继续")
	for _, p := range []*tab{kiosk.tab, agent.tab} {
		p.waitJS(shown, "the weak-link notice")
	}
	link.SetProfile(linkemu.Profiles["good"])
	for _, p := range []*tab{kiosk.tab, agent.tab} {
		p.waitJS(`document.querySelector('#call-weak-link').hidden`, "the notice to go once video is back")
	}
	kiosk.screen("call") // the call went on throughout
	agent.screen("call")
}
