package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Station names of the demo accounts, as the console shows them.
const (
	station1Name = "东海社区远程帮办点"
	island1Name  = "鲁家峙岛远程帮办点"
)

// TestBrowser drives the two web apps in one real headless Chromium with a
// fake camera and microphone, against a demo node on loopback.
func TestBrowser(t *testing.T) {
	browser := startBrowser(t)
	t.Run("call with video both ways, hang up from either side", func(t *testing.T) { testBrowserCall(t, browser) })
	t.Run("a rejected offer rings the other agent", func(t *testing.T) { testBrowserReject(t, browser) })
	t.Run("green channel overtakes a waiting request", func(t *testing.T) { testBrowserGreenChannel(t, browser) })
	t.Run("station without camera permission calls by voice", func(t *testing.T) { testBrowserAudioOnly(t, browser) })
	t.Run("no agent online: the station says when to come", func(t *testing.T) { testBrowserNoAgents(t, browser) })
	t.Run("reloads resume the queue and the call", func(t *testing.T) { testBrowserReload(t, browser) })
	t.Run("a kiosk left alone goes back to idle in Chinese", func(t *testing.T) { testBrowserInactivity(t, browser) })
	t.Run("a dropped station link resumes the same call", func(t *testing.T) { testBrowserLinkDrop(t, browser) })
	t.Run("offer collisions with the server", func(t *testing.T) { testBrowserNegotiation(t, browser) })
	t.Run("screenshots", func(t *testing.T) { testBrowserScreenshots(t, browser) })
	t.Run("statistics screenshot", func(t *testing.T) { testStatsScreenshot(t, browser) })
}

func testBrowserCall(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")

	kiosk.videoPlaying("#remote-video")
	agent.videoPlaying("#station-video")
	agent.videoPlaying("#document-video") // the station's second camera
	kiosk.inboundGrowing("video")
	agent.inboundGrowing("video")
	agent.inboundGrowing("audio")

	// The resident hangs up.
	kiosk.click("#hangup")
	kiosk.screen("ended")
	if got := kiosk.text("#ended-reason"); !strings.Contains(got, "您已结束") {
		t.Errorf("station ended screen says %q, want that the resident ended it", got)
	}
	kiosk.click("#rating-skip")
	kiosk.screen("receipt-wait") // the agent has not wrapped up yet
	kiosk.click(`[data-screen="receipt-wait"] [data-action="home"]`)
	kiosk.screen("idle")
	agent.wrapUp("done")

	// Next resident; this time the agent hangs up with the keyboard.
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.key(kb.F8)
	agent.screen("call")
	kiosk.screen("call")
	agent.videoPlaying("#station-video")
	kiosk.videoPlaying("#remote-video")
	agent.key(kb.F9)
	kiosk.screen("ended")
	if got := kiosk.text("#ended-reason"); !strings.Contains(got, "工作人员已结束") {
		t.Errorf("station ended screen says %q, want that the agent ended it", got)
	}
	agent.wrapUp("consultation")
	kiosk.screen("idle") // by itself, after the countdown
}

func testBrowserReject(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	skilled := openConsole(t, browser, n, "agent1")
	skilled.ready()
	generalist := openConsole(t, browser, n, "agent2")
	generalist.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	skilled.offerFrom(station1Name) // skill match first
	skilled.click("#offer-reject")
	generalist.offerFrom(station1Name)
	skilled.waitJS(`document.querySelector('#offer').hidden`, "the rejected offer to disappear")
	skilled.waitReady() // rejecting keeps the agent ready

	generalist.click("#offer-accept")
	generalist.screen("call")
	kiosk.screen("call")
	if got := kiosk.text("#call-agent"); got != "李明" {
		t.Errorf("station talks to %q, want 李明 (agent2)", got)
	}
}

func testBrowserGreenChannel(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1") // signed in, not ready yet
	first := openStation(t, browser, n, "station1", 1280, 720, "")
	elderly := openStation(t, browser, n, "island1", 1280, 720, "")

	first.request("medical_insurance", item, "")
	first.waitJS(`document.querySelector('#queue-ahead').textContent.includes('马上')`, "first in line")
	elderly.request("medical_insurance", item, "elderly")
	elderly.waitJS(`document.querySelector('#queue-ahead').textContent.includes('马上')`, "green channel first in line")
	first.waitJS(`document.querySelector('#queue-ahead').textContent.includes('1 位')`, "one person ahead after the green request")

	agent.ready()
	agent.offerFrom(island1Name)
	agent.waitJS(`!document.querySelector('#offer-green').hidden && !document.querySelector('#offer-island').hidden`,
		"green channel and island badges on the offer")
	agent.click("#offer-accept")
	elderly.screen("call")
	first.waitJS(`document.querySelector('#queue-ahead').textContent.includes('马上')`, "first in line again")
}

// denyCamera makes getUserMedia refuse any request for video, as a kiosk
// whose camera permission was withdrawn does.
const denyCamera = `(() => {
	const devices = navigator.mediaDevices;
	const open = devices.getUserMedia.bind(devices);
	devices.getUserMedia = (c) => c && c.video
		? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
		: open(c);
})();`

func testBrowserAudioOnly(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, denyCamera)

	kiosk.chooseItem("medical_insurance", item, "")
	kiosk.click("#call-button")
	kiosk.screen("camera-problem")
	if got := kiosk.text("#camera-problem-title"); !strings.Contains(got, "摄像头") {
		t.Errorf("camera problem screen says %q, want it to name the camera", got)
	}
	kiosk.click("#audio-only")
	kiosk.screen("queue")

	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	agent.inboundGrowing("audio")
	kiosk.videoPlaying("#remote-video")
	agent.waitJS(`!document.querySelector('#stage-empty').hidden`, "no station picture shown")
}

func testBrowserNoAgents(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")

	kiosk.chooseItem("medical_insurance", item, "")
	kiosk.click("#call-button")
	kiosk.screen("notice")
	if got := kiosk.text("#notice-title"); !strings.Contains(got, "没有工作人员") {
		t.Errorf("notice title %q, want that no agent is online", got)
	}
	if got := kiosk.text("#notice-hours"); !strings.Contains(got, "8:30") {
		t.Errorf("notice hours %q, want the opening hours", got)
	}
	kiosk.click(`[data-screen="notice"] [data-action="home"]`)
	kiosk.screen("idle")
}

func testBrowserReload(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	kiosk.do("reload the kiosk", chromedp.Reload())
	kiosk.screen("queue") // same request, no second sign-in

	agent.ready()
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	agent.videoPlaying("#station-video")

	agent.do("reload the console", chromedp.Reload())
	agent.screen("call") // back in the same call with a new PeerConnection
	agent.videoPlaying("#station-video")
	kiosk.videoPlaying("#remote-video")
	agent.inboundGrowing("audio")

	agent.click("#hangup")
	kiosk.screen("ended")
	agent.wrapUp("done")
}

func testBrowserInactivity(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	kiosk := openStationURL(t, browser, n.URL()+"/station/"+kioskSettings+"&idle_timeout=5", "station1", 1280, 720, "")
	kiosk.click(`[data-lang="en"]`)
	kiosk.waitJS(`document.documentElement.lang === 'en'`, "English")
	kiosk.click("#start")
	kiosk.screen("categories")
	kiosk.screen("idle") // nobody touched it for five seconds
	kiosk.waitJS(`document.documentElement.lang === 'zh-CN'`, "Chinese again for the next resident")
}

func testBrowserLinkDrop(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	link := startLinkProxy(t, n.URL())
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStationURL(t, browser, link.URL()+"/station/"+kioskSettings, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	kiosk.videoPlaying("#remote-video")

	link.cut()
	kiosk.waitJS(`window.cloudWindow.signaling.state === 'open' && window.cloudWindow.signaling.welcome.resumed === true`,
		"the signaling link back in the same session")
	kiosk.screen("call")
	agent.fill("#chat-input", "还在吗？")
	agent.click(".chat-form button")
	kiosk.waitJS(`document.querySelector('#captions').textContent.includes('还在吗')`, "the agent's message after the drop")
	kiosk.videoPlaying("#remote-video")
}
