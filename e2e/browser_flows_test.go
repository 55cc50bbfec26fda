package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
)

// browserNode gives people in a browser time to react: an offer rings long
// enough for a slow test machine to click it.
// browserNode is the browser tests' node: the production defaults where
// they matter to a page (standing media connections are on, as
// node.DefaultConfig has them), with room for slow pages.
func browserNode(c *node.Config) {
	c.PreconnectMedia = node.DefaultConfig().PreconnectMedia
	c.RingTimeout = 30 * time.Second
	c.ResumeGrace = 10 * time.Second
	c.HelperPIN = helperPIN
}

// helperPIN opens the kiosks' self-check in browser tests.
const helperPIN = "2468"

// station is the kiosk page of one station account.
type station struct{ *tab }

// kioskSettings is the kiosk's start URL query: the third fake camera is
// its document camera.
const kioskSettings = "?document_camera=fake_device_2"

// openStation opens the kiosk and signs in with the device account.
func openStation(t *testing.T, browser context.Context, n *node.Node, username string, w, h int64, script string) station {
	t.Helper()
	return openStationURL(t, browser, n.URL()+"/station/"+kioskSettings, username, w, h, script)
}

func openStationURL(t *testing.T, browser context.Context, url, username string, w, h int64, script string) station {
	t.Helper()
	p := openTab(t, browser, username, url, w, h, script)
	p.screen("login")
	p.fill("#login-username", username)
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen("idle")
	return station{p}
}

// chooseItem walks from the idle screen to the item's notice of materials.
func (s station) chooseItem(category, itemID, green string) {
	s.t.Helper()
	if green == "" {
		s.click("#start")
	} else {
		s.click("#start-green")
		s.screen("green")
		s.click(fmt.Sprintf(`[data-green=%q]`, green))
	}
	s.screen("categories")
	s.click(fmt.Sprintf(`[data-category=%q]`, category))
	s.screen("items")
	s.click(fmt.Sprintf(`#item-list [data-item=%q]`, itemID))
	s.screen("detail")
}

// request asks for a call about the item and waits in the queue.
func (s station) request(category, itemID, green string) {
	s.t.Helper()
	s.chooseItem(category, itemID, green)
	s.click("#call-button")
	s.screen("queue")
}

// leaveAfterCall goes from the ended call back to the first screen: no
// rating, and no waiting for the receipt while the agent wraps up.
func (s station) leaveAfterCall() {
	s.t.Helper()
	s.screen("ended")
	s.click("#rating-skip")
	s.screen("receipt-wait")
	s.click(`[data-screen="receipt-wait"] [data-action="home"]`)
	s.screen("idle")
}

// console is the agent console of one agent account.
type console struct{ *tab }

func openConsole(t *testing.T, browser context.Context, n *node.Node, username string) console {
	t.Helper()
	return openConsoleWith(t, browser, n, username, "")
}

// openConsoleWith is openConsole with script run in the page before its own.
func openConsoleWith(t *testing.T, browser context.Context, n *node.Node, username, script string) console {
	t.Helper()
	p := openTab(t, browser, username, n.URL()+"/console/", 1920, 1080, script)
	p.screen("login")
	p.fill("#login-username", username)
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen("desk")
	return console{p}
}

func (c console) ready() {
	c.t.Helper()
	c.click(`[data-state="ready"]`)
	c.waitReady()
}

func (c console) waitReady() {
	c.t.Helper()
	c.waitJS(`document.querySelector('[data-state="ready"]').getAttribute('aria-checked') === 'true'`, "state 就绪")
}

// offerFrom waits for a ringing offer and checks who calls.
func (c console) offerFrom(stationName string) {
	c.t.Helper()
	c.waitVisible("#offer")
	if got := c.text("#offer-station"); !strings.Contains(got, stationName) {
		c.t.Fatalf("%s: offer from %q, want %q", c.name, got, stationName)
	}
}

// wrapUp records the outcome and waits until the agent is ready again.
func (c console) wrapUp(outcome string) {
	c.t.Helper()
	c.screen("wrapup")
	c.click(fmt.Sprintf(`#wrapup-form input[value=%q]`, outcome))
	c.click("#wrapup-submit")
	c.screen("desk")
	c.waitReady()
}

// videoPlaying waits until a video element shows frames and keeps showing
// new ones.
func (p *tab) videoPlaying(sel string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.querySelector(%q).videoWidth > 0`, sel), sel+" has a picture")
	start := evalJS[float64](p, fmt.Sprintf(`document.querySelector(%q).currentTime`, sel))
	p.waitJS(fmt.Sprintf(`document.querySelector(%q).currentTime > %f`, sel, start+0.5), sel+" plays on")
}

// inboundGrowing waits until the call's PeerConnection has received media
// of kind ("audio" or "video") and keeps receiving it.
func (p *tab) inboundGrowing(kind string) {
	p.t.Helper()
	expr := fmt.Sprintf(`(async () => {
		const pc = window.cloudWindow.call.connection?.pc;
		if (!pc) return 0;
		let bytes = 0;
		for (const s of (await pc.getStats()).values()) {
			if (s.type === 'inbound-rtp' && s.kind === %q) bytes += s.bytesReceived;
		}
		return bytes;
	})()`, kind)
	deadline := time.Now().Add(waitLimit)
	first := 0.0
	for time.Now().Before(deadline) {
		n := evalJS[float64](p, expr)
		switch {
		case first == 0 && n > 0:
			first = n
		case first > 0 && n > first:
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("%s: inbound %s bytes did not grow (first sample %.0f)", p.name, kind, first)
}

// browserCall sets up a call in the browser: agent1, ready in the console,
// accepts station1's request about a medical insurance item.
func browserCall(t *testing.T, browser context.Context, n *node.Node) (console, station) {
	t.Helper()
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	return agent, kiosk
}
