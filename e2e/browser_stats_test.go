package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"cloudwindow/client"
)

// TestSupervisorReadsAndDownloadsTheStatistics: after a day with one
// answered, wrapped-up and badly rated call from the island and one
// request the resident gave up on, a supervisor goes from the console to
// 统计报表, sees both requests counted for the month, changes the period
// to a day without calls and back, and downloads the workbook, whose
// sheets hold the same figures.
func TestSupervisorReadsAndDownloadsTheStatistics(t *testing.T) {
	n := startNode(t, nil)
	island, station, agent := dial(t, n, "island1"), dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, island, agent, itemOf(t, n, "medical_insurance"))
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, island, "call.ended")
	request(t, agent, "call.wrapup", map[string]any{"call_id": callID, "outcome": "done", "notes": ""})
	request(t, island, "rating.submit", map[string]any{"call_id": callID, "score": 2, "comment": "等太久"})
	abandon(t, station, itemOf(t, n, "social_security"))

	browserCtx := startBrowser(t)
	sv := openSupervisor(t, browserCtx, n, "supervisor1")
	if got := sv.text("#sv-stats"); got != "统计报表" {
		t.Errorf("supervisor view links %q, want 统计报表", got)
	}
	// Follow the link in the same tab, which keeps the console's sign-in.
	href := evalJS[string](sv.tab, `document.querySelector('#sv-stats').href`)
	sv.do("open "+href, chromedp.Navigate(href))
	sv.screen("stats")
	sv.waitJS(`document.querySelector('[data-tile="requests"] dd')?.textContent === '2'`, "two requests this month")
	tiles := sv.text("#tiles")
	for _, want := range []string{"接通1", "服务水平", "50.0%", "差评已整改0 / 1"} {
		if !strings.Contains(tiles, want) {
			t.Errorf("tiles %q: want %q", tiles, want)
		}
	}
	if got := sv.text("#figures-rows"); !strings.Contains(got, island1Name+"海岛") || !strings.Contains(got, "东海社区") {
		t.Errorf("by station %q: want both stations, the island marked", got)
	}
	if n := evalJS[int](sv.tab, `document.querySelectorAll('#chart-breakdown svg rect').length`); n != 4 {
		t.Errorf("station chart has %d bars, want answered and abandoned for two stations", n)
	}
	if got := sv.text("#bookings-note"); !strings.Contains(got, "预约 0") {
		t.Errorf("bookings %q: want them counted (none here)", got)
	}

	today := evalJS[string](sv.tab, `document.querySelector('#p-date').value`)
	setPeriod(sv.tab, "day", "2020-01-06")
	sv.waitJS(`document.querySelector('[data-tile="requests"] dd').textContent === '0'`, "no requests on a day without calls")
	if got := sv.text("#period-shown"); got != "2020-01-06 至 2020-01-06" {
		t.Errorf("period shown %q", got)
	}
	if evalJS[bool](sv.tab, `document.querySelector('#figures-empty').hidden`) {
		t.Error("an empty day does not say so")
	}
	setPeriod(sv.tab, "day", today)
	sv.waitJS(`document.querySelector('[data-tile="requests"] dd').textContent === '2'`, "today's requests again")

	x := downloadXLSX(t, sv.tab)
	checkCell(t, x, "总览", "A3", "合计")
	checkCell(t, x, "总览", "B3", "2") // requests
	checkCell(t, x, "总览", "D3", "1") // abandoned
	checkCell(t, x, "总览", "W3", "1") // bad ratings
	rows, err := x.GetRows("按站点")
	if err != nil || len(rows) != 3 {
		t.Fatalf("按站点: %v %v", rows, err)
	}
	found := false
	for _, r := range rows[1:] {
		found = found || (r[0] == island1Name && r[1] == "海岛 island" && r[2] == "1" && r[3] == "1")
	}
	if !found {
		t.Errorf("按站点 %v: want the island station with one answered request", rows)
	}
}

// abandon makes a request and cancels it, as a resident who gives up.
func abandon(t *testing.T, station *client.Client, item string) {
	t.Helper()
	queued := request(t, station, "call.request", map[string]any{"item_id": item})
	request(t, station, "call.cancel", map[string]string{"request_id": field[string](t, queued, "request_id")})
}

func setPeriod(p *tab, kind, date string) {
	p.t.Helper()
	p.do("set the period",
		chromedp.SetValue(chromedp.CSS("#p-kind"), kind),
		chromedp.SetValue(chromedp.CSS("#p-date"), date))
	p.click("#p-apply")
}

// downloadXLSX clicks 下载 Excel and opens the file the browser saved.
func downloadXLSX(t *testing.T, p *tab) *excelize.File {
	t.Helper()
	dir := t.TempDir()
	allow := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		c := chromedp.FromContext(ctx)
		_, err := cdp.Call(ctx, c.Browser, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir,
		})
		return err
	})
	p.do("allow downloads", allow)
	p.click("#dl-xlsx")
	var file string
	deadline := time.Now().Add(waitLimit)
	for file == "" && time.Now().Before(deadline) {
		matches, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
		if len(matches) == 1 {
			file = matches[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
	if file == "" {
		t.Fatalf("no workbook downloaded into %s", dir)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	x, err := excelize.OpenReader(f)
	if err != nil {
		t.Fatalf("open %s: %v", file, err)
	}
	return x
}

func checkCell(t *testing.T, x *excelize.File, sheet, cell, want string) {
	t.Helper()
	if got, err := x.GetCellValue(sheet, cell); err != nil || got != want {
		t.Errorf("%s!%s = %q (%v), want %q", sheet, cell, got, err, want)
	}
}
