package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"testing"

	"cloudwindow/linkemu"
)

// TestBrowserIslandStationStartsLow: the demo's island station is marked low
// bandwidth, so its kiosk's camera and document camera encoders start low (the
// browser's own sender parameters and sent resolution say so), the camera in
// temporal layers; over island-4g
// the console shows the station's link as a bar; a scan still arrives at the
// document camera's full resolution though the live picture is small.
func TestBrowserIslandStationStartsLow(t *testing.T) {
	browser := startBrowser(t)
	n, _, _ := islandNode(t, linkemu.Profiles["island-4g"], true, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "island1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(island1Name)
	if q := evalJS[string](agent.tab, `document.querySelector('#offer-link').dataset.quality`); q == "unknown" || q == "" {
		t.Errorf("the offer shows no link quality (%q): the kiosk's pre-call check was not reported", q)
	}
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")

	// The encoders start low: every video sender has the profile's limits from
	// its first frame, not after an adaptation.
	startsLow(t, kiosk)
	// What the browser really sends: the camera at half its size.
	kiosk.waitJS(`(async () => {
		const pc = window.cloudWindow.call.connection.pc;
		const cam = document.querySelector('#self-video')?.srcObject?.getVideoTracks()[0]?.getSettings().width ?? 0;
		for (const s of (await pc.getStats()).values()) {
			if (s.type === 'outbound-rtp' && s.kind === 'video' && s.frameWidth > 0 && cam > 0 && s.frameWidth <= cam / 2) return true;
		}
		return false;
	})()`, "an outbound video at half the camera's width")
	// The camera goes in three temporal layers: a frame lost on the way spoils
	// only the frames that refer to it.
	kiosk.waitJS(`(async () => {
		for (const s of (await window.cloudWindow.call.connection.pc.getStats()).values()) {
			if (s.type === 'outbound-rtp' && s.kind === 'video' && s.scalabilityMode === 'L1T3' && s.framesEncoded > 0) return true;
		}
		return false;
	})()`, "the camera encoded in three temporal layers")

	agent.waitJS(`(() => { const el = document.querySelector('#call-link');
		return el && !el.hidden && ['good', 'fair', 'poor'].includes(el.dataset.quality) && el.textContent.includes('kbit/s'); })()`,
		"the station's link bar in the console")

	kiosk.waitVisible("#scan-capture")
	kiosk.click("#scan-capture")
	kiosk.waitJS(`document.querySelector('#scan-status').dataset.tone === 'ok'`, "the scan sent")
	agent.waitVisible("#scan-list [data-doc] img")
	docID := evalJS[string](agent.tab, `document.querySelector('#scan-list [data-doc]').dataset.doc`)
	resp, body := httpGet(t, n.URL()+"/api/v1/documents/"+docID, token(t, n, "supervisor1"))
	cfg, _, err := image.DecodeConfig(bytes.NewReader(body))
	settings := `document.querySelector('#document-video').srcObject.getVideoTracks()[0].getSettings()`
	camW, camH := evalJS[float64](kiosk.tab, settings+`.width`), evalJS[float64](kiosk.tab, settings+`.height`)
	if resp.StatusCode != http.StatusOK || err != nil || float64(cfg.Width) < camW || float64(cfg.Height) < camH {
		t.Errorf("scan is %dx%d (%d, %v), want the document camera's full %.0fx%.0f though its live video is slowed",
			cfg.Width, cfg.Height, resp.StatusCode, err, camW, camH)
	}
}

// startsLow checks that the kiosk's call sends with the low-bandwidth
// profile's limits: both video senders at most 150 kbit/s, the camera scaled
// down by 2, the document camera at 2 fps, the microphone at a speech rate.
func startsLow(t *testing.T, kiosk station) {
	t.Helper()
	kiosk.waitJS(`(window.cloudWindow.call.connection?.pc.getSenders() ?? []).filter((s) => s.track?.kind === 'video').length === 2`, "two video senders")
	var encs []struct {
		MaxBitrate            float64 `json:"maxBitrate"`
		MaxFramerate          float64 `json:"maxFramerate"`
		ScaleResolutionDownBy float64 `json:"scaleResolutionDownBy"`
	}
	raw := evalJS[string](kiosk.tab, `JSON.stringify(window.cloudWindow.call.connection.pc.getSenders()
		.filter((s) => s.track?.kind === 'video').map((s) => s.getParameters().encodings[0]))`)
	if err := json.Unmarshal([]byte(raw), &encs); err != nil {
		t.Fatal(err)
	}
	var camera, document bool
	for _, e := range encs {
		if e.MaxBitrate == 0 || e.MaxBitrate > 150_000 {
			t.Errorf("a video sender starts at maxBitrate %.0f, want at most 150 kbit/s: %s", e.MaxBitrate, raw)
		}
		camera = camera || e.ScaleResolutionDownBy >= 2
		document = document || (e.MaxFramerate > 0 && e.MaxFramerate <= 2)
	}
	if !camera || !document {
		t.Errorf("sender encodings %s: want the camera scaled down by 2 and the document camera at 2 fps", raw)
	}
	mic := evalJS[float64](kiosk.tab, callMicBitrate)
	if mic != 20_000 {
		t.Errorf("the microphone starts at maxBitrate %.0f, want a speech rate of 20 kbit/s", mic)
	}
}

// TestBrowserPoorLinkCheckStartsLow: a station no admin has marked, whose
// pre-call check finds the link poor (island-weak), starts its call's video
// low as a marked one does, on the connection it made while checking. The
// agent's camera is capped low from the call's first cap: the node starts its
// estimate of the station's downlink low. And the agent speaks at a speech
// rate: at Opus's own, sent three times over by the node's redundancy, the
// voice left the station's link too little for video.
func TestBrowserPoorLinkCheckStartsLow(t *testing.T) {
	browser := startBrowser(t)
	n, _, islandURL := islandNode(t, linkemu.Profiles["island-weak"], true, browserPreconnectNode)
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStationURL(t, browser, islandURL+"/station/"+kioskSettings, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", itemOf(t, n, "medical_insurance"), "")
	agent.offerFrom(station1Name)
	if q := evalJS[string](agent.tab, `document.querySelector('#offer-link').dataset.quality`); q != "poor" {
		t.Fatalf("the offer shows the link as %q, want poor", q)
	}
	evalJS[bool](kiosk.tab, `(window.__standing = window.cloudWindow.call.standbyConnection) !== null`)
	evalJS[bool](agent.tab, `(() => {
		window.__caps = [];
		window.cloudWindow.signaling.on('call.bitrate_limit', (d) => window.__caps.push(d.max_bitrate));
		return true;
	})()`)
	agent.click("#offer-accept")
	kiosk.screen("call")
	if !evalJS[bool](kiosk.tab, `window.cloudWindow.call.connection === window.__standing`) {
		t.Error("the call does not run on the connection the kiosk made while checking its link")
	}
	startsLow(t, kiosk)
	agent.waitJS(`window.__caps.length > 0`, "a cap on the agent's camera")
	if first := evalJS[float64](agent.tab, `window.__caps[0]`); first > 300_000 {
		t.Errorf("the agent's camera was first capped at %.0f bit/s for a station whose link is poor, want at most 300 kbit/s", first)
	}
	agent.waitJS(callMicBitrate+` === 20000`, "the agent's microphone at a speech rate")
}

// callMicBitrate is the maxBitrate of the page's call microphone, 0 for the
// browser's own rate.
var callMicBitrate = senderMaxBitrate("audio")

// senderMaxBitrate is a JS expression: the maxBitrate of the page's call
// sender of kind ("audio" or "video"), 0 if it has none.
func senderMaxBitrate(kind string) string {
	return fmt.Sprintf(`(window.cloudWindow.call.connection?.pc.getSenders()
	.find((s) => s.track?.kind === %q)?.getParameters().encodings?.[0]?.maxBitrate ?? 0)`, kind)
}
