package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
	"cloudwindow/stats"
	"cloudwindow/store"
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

// statsShotCalls is how many calls the statistics screenshot shows: a
// month's worth for a busy center, seeded in seconds.
const statsShotCalls = 20000

// testStatsScreenshot renders 统计报表 for last month after seeding it
// with synthetic calls (cloudwindow admin seed-calls), into
// docs/screenshots. It runs only with CLOUDWINDOW_SCREENSHOTS=1.
func testStatsScreenshot(t *testing.T, browser context.Context) {
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") != "1" {
		t.Skip("set CLOUDWINDOW_SCREENSHOTS=1 to write docs/screenshots")
	}
	requireKioskFont(t)
	dir := t.TempDir()
	thisMonth := time.Now()
	lastMonth := time.Date(thisMonth.Year(), thisMonth.Month(), 1, 0, 0, 0, 0, time.Local).AddDate(0, -1, 0)
	db, err := store.Open(context.Background(), filepath.Join(dir, "cloudwindow.db"))
	if err != nil {
		t.Fatal(err)
	}
	err = stats.RunSeedCalls(context.Background(), db, time.Local,
		[]string{"--count", strconv.Itoa(statsShotCalls), "--month", lastMonth.Format("2006-01")}, io.Discard)
	db.Close()
	if err != nil {
		t.Fatalf("seed calls: %v", err)
	}
	n := startNode(t, func(c *node.Config) { browserNode(c); c.DataDir = dir })
	p := openTab(t, browser, "supervisor1", n.URL()+"/console/stats.html", 1600, 1300, "")
	p.screen("login")
	p.fill("#login-username", "supervisor1")
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen("stats")
	setPeriod(p, "month", lastMonth.Format(time.DateOnly))
	p.waitJS(`document.querySelector('[data-tile="requests"] dd').textContent === '`+strconv.Itoa(statsShotCalls)+`'`, "last month's requests")
	p.screenshot(filepath.Join(screenshotDir, "console-stats.png"))
}
