package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"cloudwindow/node"
)

// TestBrowserPreconnectFigures measures, in Chromium, accept → first decoded
// frame at both ends with standing connections and per call: two nodes, one
// of each, their calls alternated in the same browser. See
// preconnectFigureCalls.
func TestBrowserPreconnectFigures(t *testing.T) {
	calls := preconnectFigureCalls(t)
	browser := startBrowser(t)
	type desk struct {
		n     *node.Node
		agent console
		kiosk station
		item  string
	}
	open := func(mod func(*node.Config)) desk {
		n := startNode(t, mod)
		d := desk{n: n, agent: openConsole(t, browser, n, "agent1"), item: itemOf(t, n, "medical_insurance")}
		d.agent.ready()
		d.kiosk = openStation(t, browser, n, "station1", 1280, 720, "")
		return d
	}
	desks := map[bool]desk{true: open(browserPreconnectNode), false: open(browserPerCallNode)}
	times := map[bool][]time.Duration{}
	const keyframes = "cloudwindow_media_keyframe_requests_total"
	asked := map[bool]float64{true: metricValue(t, desks[true].n, keyframes), false: metricValue(t, desks[false].n, keyframes)}
	cpu := procStat()
	for i := 0; i < 2*calls; i++ {
		standing := i%2 == 0
		d := desks[standing]
		times[standing] = append(times[standing], browserCallSetup(t, d.agent, d.kiosk, d.item, standing))
	}
	busy := machineBusy(cpu)
	for _, standing := range []bool{true, false} {
		perCall := (metricValue(t, desks[standing].n, keyframes) - asked[standing]) / float64(calls)
		t.Logf("standing=%v %s; keyframe requests per call %.1f", standing, summary(times[standing]), perCall)
	}
	t.Logf("machine busy %.0f %% over the run", busy*100)
}

// watchFirstFrame notes in the page when the video element first has a
// decoded frame.
func watchFirstFrame(p *tab, sel string) {
	evalJS[bool](p, fmt.Sprintf(`(() => {
		window.__firstFrame = 0;
		window.__steps = {};
		const poll = () => {
			const v = document.querySelector(%q);
			const s = window.__steps;
			if (!s.call && document.body.dataset.view === 'call') s.call = Date.now();
			if (!s.src && v?.srcObject) s.src = Date.now();
			if (!s.track && v?.srcObject?.getVideoTracks().length) s.track = Date.now();
			if (!s.unmuted && v?.srcObject?.getVideoTracks().some((t) => !t.muted)) s.unmuted = Date.now();
			if (v && v.videoWidth > 0) { window.__firstFrame = Date.now(); return; }
			setTimeout(poll, 2);
		};
		poll();
		return true;
	})()`, sel))
}

// browserCallSetup runs one call in Chromium and returns accept → first
// decoded frame at both ends.
func browserCallSetup(t *testing.T, agent console, kiosk station, item string, standing bool) time.Duration {
	t.Helper()
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	if standing {
		for _, p := range []*tab{agent.tab, kiosk.tab} {
			// The ringing call's tracks are negotiated (held) on both ends,
			// as for a station that waited a moment in the queue.
			p.waitJS(`window.cloudWindow.call.standbyConnection?.remoteStream('main')?.getVideoTracks().length > 0`, "prepared standing connection")
		}
	}
	watchFirstFrame(agent.tab, "#station-video")
	watchFirstFrame(kiosk.tab, "#remote-video")
	start := evalJS[float64](agent.tab, `(() => { const t = Date.now(); document.querySelector('#offer-accept').click(); return t; })()`)
	var last float64
	for _, p := range []*tab{agent.tab, kiosk.tab} {
		p.waitJS(`window.__firstFrame > 0`, "first frame")
		last = max(last, evalJS[float64](p, `window.__firstFrame`))
		if testing.Verbose() {
			steps := evalJS[map[string]float64](p, `window.__steps`)
			t.Logf("%s: call screen %+.0f, stream %+.0f, video track %+.0f, unmuted %+.0f, frame %+.0f ms", p.name,
				steps["call"]-start, steps["src"]-start, steps["track"]-start, steps["unmuted"]-start, evalJS[float64](p, `window.__firstFrame`)-start)
		}
	}
	took := time.Duration((last - start) * float64(time.Millisecond))
	agent.key(kb.F9)
	kiosk.leaveAfterCall()
	agent.wrapUp("done")
	return took
}
