package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// waitLimit bounds every wait for something a user would see; generous,
// because the machine running the tests may be slow and shared.
const waitLimit = 30 * time.Second

// startBrowser starts one headless Chromium with fake camera and microphone
// for a whole test; every page opens in it as a separate browser context.
// It skips the test when Chromium is not installed, unless
// CLOUDWINDOW_REQUIRE_BROWSER=1 (CI), which fails it instead.
func startBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	ctx, stop := launchChromium(t, chromiumPath(t), t.TempDir(), extra...)
	t.Cleanup(stop)
	return ctx
}

// chromiumPath finds Chromium or skips (fails in CI) the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("CLOUDWINDOW_REQUIRE_BROWSER") == "1" {
			t.Fatal("Chromium is not installed and CLOUDWINDOW_REQUIRE_BROWSER=1: install it (apt-get install chromium)")
		}
		t.Skip("browser tests skipped: Chromium is not installed (apt-get install chromium)")
	}
	return path
}

// launchChromium starts Chromium on the profile in dataDir; stop closes it
// gracefully, so its storage is on disk for the next launch on that profile.
func launchChromium(t *testing.T, path, dataDir string, extra ...chromedp.ExecAllocatorOption) (ctx context.Context, stop func()) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dataDir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Three fake cameras: the station uses the third as its document camera
		// (the second one is a depth camera that WebRTC cannot encode).
		chromedp.Flag("use-fake-device-for-media-stream", "device-count=3"),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("hide-scrollbars", true),
		// As the kiosks are launched (README): Opus sent as RED with three
		// redundant frames.
		chromedp.Flag("force-fieldtrials", chromiumFieldTrials()),
	)
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	stop = func() {
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx, stop
}

// chromiumFieldTrials is the kiosks' field trials, or
// CLOUDWINDOW_CHROMIUM_FIELDTRIALS when set (a figure run without them).
func chromiumFieldTrials() string {
	if v, ok := os.LookupEnv("CLOUDWINDOW_CHROMIUM_FIELDTRIALS"); ok {
		return v
	}
	return kioskFieldTrials
}

// kioskFieldTrials is what README's kiosk launch line passes to Chrome.
const kioskFieldTrials = "WebRTC-Audio-Red-For-Opus/Enabled-3/"

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab is one page in its own browser context (its own storage, like a
// separate device).
type tab struct {
	t    *testing.T
	name string
	ctx  context.Context
	logs *consoleLog
}

// openTab opens url in a fresh browser context of the shared browser.
// script, if not empty, runs in the page before the page's own scripts.
func openTab(t *testing.T, browser context.Context, name, url string, width, height int64, script string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	return loadTab(t, ctx, name, url, width, height, script)
}

// loadTab opens url in the tab of ctx.
func loadTab(t *testing.T, ctx context.Context, name, url string, width, height int64, script string) *tab {
	t.Helper()
	p := &tab{t: t, name: name, ctx: ctx, logs: &consoleLog{}}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("%s: open tab: %v", name, err)
	}
	p.logs.follow(ctx)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s: browser console:\n%s", name, p.logs.String())
		}
	})
	if script != "" {
		addScript := chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tt, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
			return err
		})
		if err := chromedp.Do(ctx, addScript); err != nil {
			t.Fatalf("%s: add script: %v", name, err)
		}
	}
	p.do("navigate to "+url, chromedp.Navigate(url))
	return p
}

// do runs actions with the wait limit, failing the test with what was attempted.
func (p *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if err := p.try(actions...); err != nil {
		p.t.Fatalf("%s: %s: %v", p.name, what, err)
	}
}

// try runs actions with the wait limit and returns what went wrong.
func (p *tab) try(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// click clicks the visible element sel. An element the page renders again
// between chromedp finding it and clicking it (a list redrawn as the
// catalog or the link check arrives) is gone by the time of the click:
// it is found again, as a user would aim again.
func (p *tab) click(sel string) {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		err := p.try(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		if err == nil {
			return
		}
		if attempt == 3 || !strings.Contains(err.Error(), "Could not find node with given id") {
			p.t.Fatalf("%s: click %s: %v", p.name, sel, err)
		}
	}
}

// expand opens a <details> by clicking its summary as a user would, again if
// the first click missed it: a call screen still settling its layout can move
// the summary between where the click was aimed and where it landed, and the
// fields of a closed <details> still report a size but take no focus.
func (p *tab) expand(details string) {
	p.t.Helper()
	open := fmt.Sprintf(`document.querySelector(%q).open`, details)
	for try := 0; try < 3; try++ {
		p.click(details + " summary")
		ctx, cancel := context.WithTimeout(p.ctx, time.Second)
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](open, chromedp.WithPollingInterval(50*time.Millisecond)))
		cancel()
		if err == nil {
			return
		}
	}
	p.t.Fatalf("%s: %s stays closed after three clicks on its summary", p.name, details)
}

func (p *tab) fill(sel, text string) {
	p.t.Helper()
	p.do("type into "+sel, chromedp.SendKeys(chromedp.CSS(sel), text, chromedp.NodeVisible))
}

func (p *tab) key(keys string) {
	p.t.Helper()
	p.do("press key", chromedp.KeyEvent(keys))
}

func (p *tab) waitVisible(sel string) {
	p.t.Helper()
	p.do("wait until visible: "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// screen waits until the app shows the named screen.
func (p *tab) screen(name string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.body.dataset.view === %q`, name), "screen "+name)
}

// waitJS polls a JavaScript condition until it is true.
func (p *tab) waitJS(cond, what string) {
	p.t.Helper()
	p.waitJSWithin(cond, what, waitLimit)
}

// waitJSWithin is waitJS for what may take longer than waitLimit.
func (p *tab) waitJSWithin(cond, what string, limit time.Duration) {
	p.t.Helper()
	poll := chromedp.Poll[bool](cond, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(limit))
	if _, err := chromedp.Run(p.ctx, poll); err != nil {
		p.t.Fatalf("%s: waiting for %s (%s): %v", p.name, what, cond, err)
	}
}

// text returns the text of the first element matching sel.
func (p *tab) text(sel string) string {
	p.t.Helper()
	return evalJS[string](p, fmt.Sprintf(`document.querySelector(%q)?.textContent ?? ''`, sel))
}

func evalJS[T any](p *tab, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, waitLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

func (p *tab) screenshot(file string) {
	p.t.Helper()
	buf, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("%s: screenshot: %v", p.name, err)
	}
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.t.Fatalf("write %s: %v", file, err)
	}
}

// consoleLog keeps a page's console messages for the failure report.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *consoleLog) follow(ctx context.Context) {
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					l.add("console closed: " + err.Error())
				}
				return
			}
			l.add(m.String())
		}
	}()
}

func (l *consoleLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

func (l *consoleLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}
