package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"cloudwindow/node"
)

// TestBrowserWhatAgentsRead covers what agents and supervisors read of a
// call: the offer, the live document camera, the scan viewer and the
// review's timeline.
func TestBrowserWhatAgentsRead(t *testing.T) {
	browser := startBrowser(t)
	t.Run("two cameras chosen by label reach the agent, the recording and the review", func(t *testing.T) {
		testBrowserTwoCameras(t, browser)
	})
	t.Run("a PDF opens without image tools; the review's timeline reads in order, by name", func(t *testing.T) {
		testBrowserPDFAndTimeline(t, browser)
	})
	t.Run("the offer says where the station is, how its link is and that it has no camera", func(t *testing.T) {
		testBrowserOfferDetails(t, browser)
	})
}

// twoCameraSettings makes the browser's default camera (the first fake
// one) the document camera, and the third the face camera. (Chromium's
// second fake camera is a depth camera whose frames WebRTC cannot encode:
// it sends nothing.)
const twoCameraSettings = "?camera=fake_device_2&document_camera=fake_device_0"

func testBrowserTwoCameras(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStationURL(t, browser, n.URL()+"/station/"+twoCameraSettings, "station1", 1280, 720, "")

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	labels := evalJS[[]string](kiosk.tab, `[
		document.querySelector('#self-video').srcObject?.getVideoTracks()[0]?.label ?? '',
		document.querySelector('#document-video').srcObject?.getVideoTracks()[0]?.label ?? '']`)
	if !strings.Contains(labels[0], "fake_device_2") || !strings.Contains(labels[1], "fake_device_0") {
		t.Errorf("kiosk cameras: face %q, document %q; want fake_device_2 and fake_device_0", labels[0], labels[1])
	}
	agent.videoPlaying("#station-video")
	agent.videoPlaying("#document-video")
	callID := evalJS[string](agent.tab, `window.cloudWindow.call.data.call_id`)
	endAndRecord(t, n, kiosk, agent, callID, "done")

	p := openReview(t, browser, n, "supervisor1")
	p.click(fmt.Sprintf(`#session-rows tr[data-call=%q] a`, callID))
	p.screen("session")
	p.waitVisible(`.lane[data-party="station-document"]`)
	p.waitJS(`document.querySelector('#video-document').readyState >= 2 && document.querySelector('#video-document').videoWidth > 0`,
		"the document camera's recording shows a picture")
}

// endAndRecord hangs up from the console, wraps up with outcome and waits
// for the recording to be finished.
func endAndRecord(t *testing.T, n *node.Node, kiosk station, agent console, callID, outcome string) {
	t.Helper()
	agent.click("#hangup")
	kiosk.screen("ended")
	agent.wrapUp(outcome)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := n.Recorder.Wait(ctx, callID); err != nil {
		t.Fatalf("recording never finished: %v", err)
	}
}

func testBrowserPDFAndTimeline(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	callID := evalJS[string](agent.tab, `window.cloudWindow.call.data.call_id`)

	checkPDFViewer(t, kiosk, agent)
	agent.fill("#chat-input", "请把身份证放在高拍仪下")
	agent.click(".chat-form button")
	kiosk.waitJS(`document.querySelector('#captions').textContent.includes('身份证')`, "the agent's message")
	endAndRecord(t, n, kiosk, agent, callID, "forwarded")
	checkTimeline(t, browser, n, callID)
}

var uuidLike = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// minimalPDF is a one-page PDF the document store accepts.
const minimalPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n" +
	"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n" +
	"trailer<</Root 1 0 R>>\n%%EOF\n"

// checkPDFViewer: a PDF the resident sends is ready before the agent opens
// it, and opens without the image tools, which do nothing on a PDF.
func checkPDFViewer(t *testing.T, kiosk station, agent console) {
	t.Helper()
	kiosk.waitJS(fmt.Sprintf(`(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([%q], '申请表.pdf', {type: 'application/pdf'}));
		const input = document.querySelector('#scan-file');
		input.files = dt.files;
		input.dispatchEvent(new Event('change'));
		return true;
	})()`, minimalPDF), "the PDF chosen")
	agent.waitVisible("#scan-list [data-doc]")
	// The browser's PDF viewer takes seconds to start: the PDF is loaded
	// before the agent opens it, so it is there at once.
	agent.waitJS(`document.querySelector('#scan-viewer').hidden && document.querySelector('#viewer-pdf').src.startsWith('blob:')`,
		"the PDF loaded into the closed viewer")
	agent.click("#scan-list [data-doc]")
	// The closed viewer stays laid out (so the PDF can load in it): wait
	// for it to be open, not merely for the frame to have a box.
	agent.waitJS(`!document.querySelector('#scan-viewer').hidden && !document.querySelector('#viewer-pdf').hidden`,
		"the PDF open in the viewer")
	if visible := evalJS[[]string](agent.tab, `['#viewer-zoom-in', '#viewer-zoom-out', '#viewer-zoom', '#viewer-rotate-left', '#viewer-rotate-right']
		.filter((s) => document.querySelector(s).checkVisibility())`); len(visible) > 0 {
		t.Errorf("PDF viewer shows image tools %v", visible)
	}
	agent.click("#viewer-close")
	agent.waitJS(`document.querySelector('#scan-viewer').hidden`, "the viewer closed")
}

// checkTimeline: the supervisor reads the call's events in the order they
// happened, with people named and every code in words.
func checkTimeline(t *testing.T, browser context.Context, n *node.Node, callID string) {
	t.Helper()
	p := openReview(t, browser, n, "supervisor1")
	p.click(fmt.Sprintf(`#session-rows tr[data-call=%q] a`, callID))
	p.screen("session")
	if got := p.text("#s-rating"); strings.Contains(got, "null") || !strings.Contains(got, "未评价") {
		t.Errorf("rating box says %q, want 未评价 in words only", got)
	}
	p.waitJS(`document.querySelectorAll('#events li[data-type]').length > 0`, "the timeline")
	types := evalJS[[]string](p.tab, `[...document.querySelectorAll('#events li[data-type]')].map((li) => li.dataset.type)`)
	if got := strings.Join(types, " "); !strings.HasPrefix(got, "queued offered accepted") {
		t.Errorf("timeline in order %q, want queued, offered, accepted first", got)
	}
	text := p.text("#events")
	for _, want := range []string{"居民（" + station1Name + "）", "坐席 王芳", "办理中 → 受理转后台"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline %q does not name %q", text, want)
		}
	}
	for _, raw := range []string{"agent", "station", "open", "forwarded", "due"} {
		if strings.Contains(text, raw) {
			t.Errorf("timeline shows the raw token %q: %q", raw, text)
		}
	}
	if uuidLike.MatchString(text) {
		t.Errorf("timeline shows an id: %q", text)
	}
}

func testBrowserOfferDetails(t *testing.T, browser context.Context) {
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, denyCamera)

	kiosk.chooseItem("medical_insurance", item, "")
	kiosk.click("#call-button")
	kiosk.screen("camera-problem")
	kiosk.click("#audio-only")
	kiosk.screen("queue")

	agent.offerFrom(station1Name)
	if got := agent.text("#offer-region"); got != "沈家门街道" {
		t.Errorf("offer region %q, want 沈家门街道", got)
	}
	if got := agent.text("#offer-link"); !strings.Contains(got, "网络良好") {
		t.Errorf("offer link %q, want the measured quality of a loopback link", got)
	}
	agent.waitJS(`!document.querySelector('#offer-audio-only').hidden`, "the voice-only badge on the offer")
	agent.click("#offer-accept")
	agent.screen("call")
	agent.inboundGrowing("audio")
	agent.waitJS(`!document.querySelector('#stage-empty').hidden`, "no station picture shown")
	if got := agent.text("#stage-empty"); !strings.Contains(got, "没有摄像头") || strings.Contains(got, "等待") {
		t.Errorf("agent's stage says %q, want that the resident has no camera", got)
	}
}
