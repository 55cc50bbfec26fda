package e2e

import (
	"testing"

	"cloudwindow/node"
)

// TestKioskSaysQueueUnavailableWhileRedisIsDown: with the cluster's Redis
// gone, a resident who calls is told 暂时无法排队，请稍候, not that something
// went wrong.
func TestKioskSaysQueueUnavailableWhileRedisIsDown(t *testing.T) {
	browser := startBrowser(t)
	rd := startPrivateRedis(t)
	cfg := clusterConfig(t, rd.url())
	n := startNode(t, func(c *node.Config) { cfg("node-a")(c); browserNode(c) })
	ready(t, dial(t, n, "agent1"))
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.chooseItem("medical_insurance", itemOf(t, n, "medical_insurance"), "")

	rd.kill()
	kiosk.click("#call-button")
	kiosk.screen("notice")
	if got := kiosk.text("#notice-title"); got != "暂时无法排队，请稍候" {
		t.Errorf("notice title %q, want 暂时无法排队，请稍候", got)
	}
}
