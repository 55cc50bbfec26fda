package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"cloudwindow/node"
	"cloudwindow/recordings"
)

// browserPreconnectNode is browserNode with standing connections on
// whatever the default becomes: these tests are about them.
func browserPreconnectNode(c *node.Config) {
	browserNode(c)
	c.PreconnectMedia = true
}

// browserPerCallNode is browserNode with standing connections off: both ends
// connect their media after call.started, the path the figures compare with.
func browserPerCallNode(c *node.Config) {
	browserNode(c)
	c.PreconnectMedia = false
}

// standbyBytes sums the standing connection's RTP bytes of a direction
// ("inbound-rtp" or "outbound-rtp") in a page; -1 while it has none.
func standbyBytes(p *tab, statType string) float64 {
	return evalJS[float64](p, fmt.Sprintf(`(async () => {
		const pc = window.cloudWindow.call.standbyConnection?.pc;
		if (!pc || pc.connectionState !== 'connected') return -1;
		let bytes = 0;
		for (const s of (await pc.getStats()).values()) {
			if (s.type === %q) bytes += s.bytesReceived ?? s.bytesSent ?? 0;
		}
		return bytes;
	})()`, statType))
}

// metricValue reads one unlabelled counter or gauge from the node's /metrics.
func metricValue(t *testing.T, n *node.Node, name string) float64 {
	t.Helper()
	_, body := httpGet(t, n.URL()+"/metrics", "")
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// TestBrowserPreconnect: a queued kiosk's camera goes to the node while it
// waits, but reaches neither the agent nor the recorder before the accept;
// after it the call plays on the same connections.
func TestBrowserPreconnect(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserPreconnectNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	if got := kiosk.text(".queue-preview p"); !strings.Contains(got, "接通后工作人员才能看到您") {
		t.Errorf("the queue screen says %q, not that the agent sees the resident only once answered", got)
	}
	agent.offerFrom(station1Name)

	// Both standing connections are up and the kiosk sends its camera.
	deadline := time.Now().Add(waitLimit)
	var sent float64
	for sent < 200_000 && time.Now().Before(deadline) {
		time.Sleep(300 * time.Millisecond)
		if standbyBytes(agent.tab, "outbound-rtp") < 0 {
			continue
		}
		sent = standbyBytes(kiosk.tab, "outbound-rtp")
	}
	if sent < 200_000 {
		t.Fatalf("the kiosk's standing connection sent %.0f bytes while waiting", sent)
	}
	if got := standbyBytes(agent.tab, "inbound-rtp"); got != 0 {
		t.Errorf("the agent received %.0f bytes of media before the accept", got)
	}
	if got := metricValue(t, n, "cloudwindow_media_forwarded_packets_total"); got != 0 {
		t.Errorf("the node forwarded %.0f packets before the accept", got)
	}
	var page recordings.Page
	if code := api(t, n, "GET", "/api/v1/recordings?station="+stationID(t, n, "station1"), token(t, n, "supervisor1"), nil, &page); code != 200 || len(page.Sessions) != 0 {
		t.Errorf("recordings before the accept: %d, %+v", code, page.Sessions)
	}
	kioskPC := evalJS[bool](kiosk.tab, `(window.__standing = window.cloudWindow.call.standbyConnection) !== null`)

	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	agent.videoPlaying("#station-video")
	kiosk.videoPlaying("#remote-video")
	agent.inboundGrowing("audio")
	if same := evalJS[bool](kiosk.tab, `window.cloudWindow.call.connection === window.__standing`); !kioskPC || !same {
		t.Error("the kiosk's call does not run on the connection it made while waiting")
	}

	// The next call: the agent stood by again after the wrap-up.
	agent.key(kb.F9)
	kiosk.leaveAfterCall()
	agent.wrapUp("done")
	agent.waitJS(`window.cloudWindow.call.standbyConnection?.pc.connectionState === 'connected'`, "a standing connection after the wrap-up")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.videoPlaying("#station-video")
	kiosk.videoPlaying("#remote-video")
}

// TestBrowserPreconnectAfterReload: a kiosk reloaded while it waits comes
// back to its place in the queue with a new standing connection, which the
// node takes in place of the old one, and the call runs on it.
func TestBrowserPreconnectAfterReload(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserPreconnectNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	standingUp := `window.cloudWindow.call.standbyConnection?.pc.connectionState === 'connected'`
	kiosk.waitJS(standingUp, "the standing connection while waiting")

	kiosk.do("reload the kiosk", chromedp.Reload())
	kiosk.screen("queue")
	kiosk.waitJS(standingUp, "the standing connection after the reload")
	if got := kiosk.text(".queue-preview p"); !strings.Contains(got, "接通后工作人员才能看到您") {
		t.Errorf("after the reload the queue screen says %q, not that the camera is on", got)
	}
	if got := n.SFU.StandingBy(); got != 1 {
		t.Errorf("the node holds %d standing connections of the kiosk, want 1 (the old one closed)", got)
	}
	evalJS[bool](kiosk.tab, `(window.__standing = window.cloudWindow.call.standbyConnection) !== null`)

	agent.ready()
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	agent.videoPlaying("#station-video")
	kiosk.videoPlaying("#remote-video")
	if !evalJS[bool](kiosk.tab, `window.cloudWindow.call.connection === window.__standing`) {
		t.Error("the call does not run on the standing connection made after the reload")
	}
}

// TestBrowserKioskClosesItsStandingConnectionWithItsRequest: the agent's
// accept fails (calls must be recorded and cannot be), so the request is
// gone; the kiosk closes the camera connection it made for it and says the
// call could not be made.
func TestBrowserKioskClosesItsStandingConnectionWithItsRequest(t *testing.T) {
	browser := startBrowser(t)
	dataDir := t.TempDir()
	n := startNode(t, func(c *node.Config) {
		browserPreconnectNode(c)
		c.DataDir, c.RequireRecording = dataDir, true
	})
	breakRecordings(t, dataDir)
	agent := dial(t, n, "agent1")
	ready(t, agent)
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", itemOf(t, n, "medical_insurance"), "")
	kiosk.waitJS(`window.cloudWindow.call.standbyConnection?.pc.connectionState === 'connected'`, "the standing connection while waiting")
	evalJS[bool](kiosk.tab, `(window.__standing = window.cloudWindow.call.standbyConnection) !== null`)
	reqID := field[string](t, next(t, agent, "call.offer"), "request_id")
	if _, err := agent.Request(ctxT(t), "call.accept", map[string]string{"request_id": reqID}); err == nil {
		t.Fatal("the accept of a call that cannot be recorded succeeded")
	}
	kiosk.screen("notice")
	kiosk.waitJS(`window.__standing.pc.connectionState === 'closed' && window.cloudWindow.call.standbyConnection === null`, "the standing connection closed")
	if got := n.SFU.StandingBy(); got != 0 {
		t.Errorf("the node holds %d standing connections after the request failed", got)
	}
}
