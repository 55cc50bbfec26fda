package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// serverOutage is how long the server stays unreachable while a kiosk
// starts: longer than the signaling's first retries, so the kiosk must keep
// trying on its own.
const serverOutage = 20 * time.Second

// TestKioskRestart restarts a signed-in kiosk's browser on the same profile,
// as a power cut or a nightly reboot does, and checks that it comes back to
// its first screen without anyone touching it: after F5, after a restart
// with the server up (opening a setup URL), after a restart while the server
// is down; and that a kiosk whose device account was reset tells the
// helper so and can be signed in again.
func TestKioskRestart(t *testing.T) {
	path := chromiumPath(t)
	profile := t.TempDir()
	n := startNode(t, browserNode)
	link := startLinkProxy(t, n.URL())
	home := link.URL() + "/station/" + kioskSettings

	// First start: the helper signs the device in once.
	browser, stop := launchChromium(t, path, profile)
	kiosk := openKiosk(t, browser, home)
	kiosk.screen("login")
	kiosk.fill("#login-username", "station1")
	kiosk.fill("#login-password", "demo")
	kiosk.click("#login-submit")
	kiosk.screen("idle")
	kiosk.waitJS(`window.cloudWindow.offlineReady === true`, "the kiosk app kept for starts without the server")

	kiosk.do("press F5", chromedp.Reload())
	kiosk.screen("idle")
	stop()

	t.Run("restart with the server up, from a setup URL", func(t *testing.T) {
		browser, stop := launchChromium(t, path, profile)
		defer stop()
		kiosk := openKiosk(t, browser, home+"&idle_timeout=120")
		kiosk.screen("idle")
		if got := kiosk.text("#station-name"); got != station1Name {
			t.Errorf("station name %q after the restart, want %q", got, station1Name)
		}
	})

	t.Run("restart with the server down", func(t *testing.T) {
		link.setDown(true)
		browser, stop := launchChromium(t, path, profile)
		defer stop()
		kiosk := openKiosk(t, browser, home)
		kiosk.waitJS(`document.querySelector('#loading-text').textContent.includes('正在连接服务中心')`,
			"the notice that the kiosk is connecting")
		time.Sleep(serverOutage)
		if v := evalJS[string](kiosk.tab, `document.body.dataset.view`); v != "loading" {
			t.Errorf("kiosk shows %q while the server is down, want the connecting notice", v)
		}
		link.setDown(false)
		kiosk.screen("idle")
		if got := kiosk.text("#banner"); strings.TrimSpace(got) != "" {
			t.Errorf("banner %q on the first screen after the server came back", got)
		}
	})

	t.Run("the device account was reset", func(t *testing.T) {
		ctx := context.Background()
		acct, err := n.Auth.AccountByUsername(ctx, "station1")
		if err != nil {
			t.Fatalf("station1: %v", err)
		}
		if err := n.Auth.SetPassword(ctx, acct.ID, "a-new-device-password"); err != nil {
			t.Fatalf("reset station1's password: %v", err)
		}
		browser, stop := launchChromium(t, path, profile)
		defer stop()
		kiosk := openKiosk(t, browser, home)
		kiosk.screen("login")
		if got := kiosk.text("#login-notice"); !strings.Contains(got, "帮办员") || !strings.Contains(got, "失效") {
			t.Errorf("login screen notice %q, want it to tell the helper the device sign-in has expired", got)
		}
		fitsEverySize(t, kiosk, "sign-in after the device account was reset")

		// The helper signs the device in with its new password.
		kiosk.fill("#login-username", "station1")
		kiosk.fill("#login-password", "a-new-device-password")
		kiosk.click("#login-submit")
		kiosk.screen("idle")
		if !evalJS[bool](kiosk.tab, `document.querySelector('#login-notice').hidden`) {
			t.Error("the expired sign-in notice is still there after signing in again")
		}
	})
}

// openKiosk opens url in a tab of the browser's own profile (not a fresh
// browser context), so what the kiosk stores outlives a restart.
func openKiosk(t *testing.T, browser context.Context, url string) station {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser)
	t.Cleanup(cancel)
	return station{loadTab(t, ctx, "kiosk", url, 1280, 800, "")}
}
