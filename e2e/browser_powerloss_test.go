package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
)

// TestKioskPowerLossDuringCall cuts a kiosk's power (its browser is killed
// and started again on the same profile) in a call: back within the resume
// grace it returns to the call; back after the grace it shows that the
// call has ended, and the call's record says the station was disconnected.
func TestKioskPowerLossDuringCall(t *testing.T) {
	path := chromiumPath(t)
	profile := t.TempDir()
	n := startNode(t, func(c *node.Config) {
		browserNode(c)
		// Long enough for a browser to start again on a busy test machine,
		// short enough to wait out.
		c.ResumeGrace = 12 * time.Second
	})
	home := n.URL() + "/station/" + kioskSettings
	item := itemOf(t, n, "medical_insurance")
	agent := dial(t, n, "agent1")
	ready(t, agent)

	browser, stop := launchChromium(t, path, profile)
	kiosk := openKiosk(t, browser, home)
	kiosk.screen("login")
	kiosk.fill("#login-username", "station1")
	kiosk.fill("#login-password", "demo")
	kiosk.click("#login-submit")
	kiosk.screen("idle")
	kiosk.request("medical_insurance", item, "")
	offer := next(t, agent, "call.offer")
	callID := field[string](t, request(t, agent, "call.accept", map[string]string{"request_id": field[string](t, offer, "request_id")}), "call_id")
	kiosk.screen("call")

	stop() // the power goes
	browser, stop = launchChromium(t, path, profile)
	kiosk = openKiosk(t, browser, home)
	kiosk.screen("call")
	if got := kiosk.text("#call-agent"); got != "王芳" {
		t.Errorf("back in the call with %q, want 王芳", got)
	}

	stop() // and goes again, for longer than the grace
	ended := next(t, agent, "call.ended")
	if id := field[string](t, ended, "call_id"); id != callID {
		t.Fatalf("call.ended for %s, want %s", id, callID)
	}
	browser, stop = launchChromium(t, path, profile)
	defer stop()
	kiosk = openKiosk(t, browser, home)
	kiosk.screen("notice")
	if got := kiosk.text("#notice-title"); !strings.Contains(got, "上次通话已经结束") {
		t.Errorf("the kiosk's notice after the grace reads %q, want that the last call has ended", got)
	}
	kiosk.click(`[data-screen="notice"] [data-action="home"]`)
	kiosk.screen("idle")

	c, err := n.Calls.Get(context.Background(), callID)
	if err != nil {
		t.Fatalf("call %s: %v", callID, err)
	}
	if c.EndReason != "disconnected" {
		t.Errorf("the call's record ends with %q, want disconnected", c.EndReason)
	}
}
