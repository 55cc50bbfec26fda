package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// screenshotDir is where the product screenshots live in the repository.
var screenshotDir = filepath.Join("..", "docs", "screenshots")

// testBrowserScreenshots renders the station's idle, item, queue and call
// screens on landscape and portrait kiosks and the console in a call, into
// docs/screenshots. It runs only with CLOUDWINDOW_SCREENSHOTS=1.
func testBrowserScreenshots(t *testing.T, browser context.Context) {
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") != "1" {
		t.Skip("set CLOUDWINDOW_SCREENSHOTS=1 to write docs/screenshots")
	}
	requireKioskFont(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	for _, kiosk := range []struct {
		name string
		w, h int64
	}{{"landscape", 1920, 1080}, {"portrait", 1080, 1920}} {
		shot := func(p *tab, screen string) {
			t.Helper()
			p.screenshot(filepath.Join(screenshotDir, "station-"+screen+"-"+kiosk.name+".png"))
		}
		s := openStation(t, browser, n, "station1", kiosk.w, kiosk.h, "")
		shot(s.tab, "idle")
		s.chooseItem("medical_insurance", item, "elderly")
		shot(s.tab, "item")
		s.click("#call-button")
		s.screen("queue")
		s.videoPlaying("#queue-self")
		shot(s.tab, "queue")

		agent.ready()
		agent.offerFrom(station1Name)
		agent.click("#offer-accept")
		s.screen("call")
		s.videoPlaying("#remote-video")
		s.videoPlaying("#document-video")
		agent.videoPlaying("#station-video")
		agent.videoPlaying("#document-video")
		agent.fill("#chat-input", "您好，请把身份证放到高拍仪下面。")
		agent.click(".chat-form button")
		s.waitJS(`document.querySelectorAll('#captions li').length > 0`, "the agent's message as a caption")
		time.Sleep(500 * time.Millisecond) // let the fake cameras draw a few frames past the first
		shot(s.tab, "call")
		if kiosk.name == "landscape" {
			agent.screenshot(filepath.Join(screenshotDir, "console-call.png"))
		}
		agent.click("#hangup")
		agent.wrapUp("done")
	}
}

// requireKioskFont stops screenshots taken in a fallback font: kiosks
// install fonts-noto-cjk (README), and Chromium finds fonts through
// fontconfig, so fc-match says what it will draw Chinese in.
func requireKioskFont(t *testing.T) {
	t.Helper()
	out, err := exec.Command("fc-match", "Noto Sans CJK SC").Output()
	if err != nil || !strings.Contains(string(out), "Noto Sans CJK") {
		t.Fatalf("Noto Sans CJK is not installed (fc-match: %q, %v): apt-get install fonts-noto-cjk", out, err)
	}
}
