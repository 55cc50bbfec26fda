package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// holdHelperEntry holds a finger on the station's name in the header until
// the kiosk asks for the helper's PIN, then lifts it.
func (s station) holdHelperEntry() {
	s.t.Helper()
	c := evalJS[[]float64](s.tab, `(() => { const r = document.querySelector('#helper-entry').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	touch := func(typ input.DispatchTouchEventType, pts []*input.TouchPoint) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := cdp.Call(ctx, tt, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts})
			return err
		})
	}
	s.do("touch the station name", touch(input.DispatchTouchEventTypeTouchStart, []*input.TouchPoint{{X: c[0], Y: c[1]}}))
	s.screen("helper-pin")
	s.do("lift the finger", touch(input.DispatchTouchEventTypeTouchEnd, []*input.TouchPoint{}))
}

// enterPIN types pin on the helper's keypad and submits it.
func (s station) enterPIN(pin string) {
	s.t.Helper()
	s.click(`#helper-keypad [data-key="clear"]`)
	for _, r := range pin {
		s.click(fmt.Sprintf(`#helper-keypad [data-key="%c"]`, r))
	}
	s.click("#helper-pin-submit")
}

// TestKioskSelfCheck: the helper opens the self-check with the PIN (a
// wrong one is refused) and sees the fake camera, document camera and
// microphone work, the server reachable with its round trip, and the app
// version, which is also what the kiosk's heartbeat told the center.
func TestKioskSelfCheck(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	k := openStation(t, browser, n, "station1", 1280, 800, cspWatch)

	k.holdHelperEntry()
	k.enterPIN("1111")
	k.waitJS(`document.querySelector('#helper-pin-error').textContent !== ''`, "the wrong PIN refused")
	if got := k.text("#helper-pin-error"); !strings.Contains(got, "密码不对") {
		t.Errorf("wrong PIN says %q, want 密码不对", got)
	}
	if cur := evalJS[string](k.tab, `window.cloudWindow.screens.current`); cur != "helper-pin" {
		t.Fatalf("after a wrong PIN the kiosk shows %q", cur)
	}

	k.enterPIN(helperPIN)
	k.screen("selfcheck")
	k.waitJS(`(() => { const r = window.cloudWindow.selfCheck.results; return r.camera && r.document_camera && r.server && r.rtt_ms !== undefined; })()`, "the checks to finish")
	for sel, want := range map[string]string{
		"#selfcheck-camera-state": "正常", "#selfcheck-document_camera-state": "正常",
		"#selfcheck-microphone-state": "正常", "#selfcheck-server-state": "正常",
	} {
		if got := k.text(sel); got != want {
			t.Errorf("%s says %q, want %q", sel, got, want)
		}
	}
	if got := k.text("#selfcheck-rtt"); !strings.HasSuffix(got, "毫秒") {
		t.Errorf("round trip reads %q, want a figure in 毫秒", got)
	}
	k.videoPlaying("#selfcheck-camera")
	k.videoPlaying("#selfcheck-document")
	k.click("#selfcheck-tone")
	k.click("#selfcheck-print")
	k.waitJS(`document.querySelector('#selfcheck-print-frame').contentDocument?.body?.textContent.includes('打印测试页')`, "the test page in its frame")
	if v := evalJS[[]string](k.tab, `window.cspViolations`); len(v) > 0 {
		t.Errorf("the self-check breaks the Content-Security-Policy: %v", v)
	}

	version := k.text("#selfcheck-version")
	st := stationHealth(t, n, tokenOf(t, n, "supervisor1"), "station1")
	if version == "" || st.Version != version || !st.Online || st.Devices["camera"] != "ok" || st.Devices["printer"] != "unknown" {
		t.Errorf("self-check shows version %q; the center sees %+v", version, st)
	}
	k.click(`[data-screen="selfcheck"] [data-action="home"]`)
	k.screen("idle")
}

// speechSpy records what the kiosk says; voices is the list of voice
// languages the browser claims to have.
func speechSpy(voices ...string) string {
	list := make([]string, len(voices))
	for i, v := range voices {
		list[i] = fmt.Sprintf(`{lang: %q, name: %q}`, v, v)
	}
	return `window.spoken = [];
speechSynthesis.getVoices = () => [` + strings.Join(list, ",") + `];
speechSynthesis.speak = (u) => window.spoken.push(u.lang + ':' + u.text);`
}

// TestKioskSpeaksKeyPrompts: with a Chinese voice the kiosk says the queue
// position, 轮到您了 and the end of the call; without one it stays silent.
func TestKioskSpeaksKeyPrompts(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1") // online, not ready: the kiosks queue
	silent := openStation(t, browser, n, "island1", 1280, 800, speechSpy("en-US"))
	k := openStation(t, browser, n, "station1", 1280, 800, speechSpy("en-US", "zh-CN"))

	silent.request("medical_insurance", item, "")
	k.request("medical_insurance", item, "")
	k.waitJS(`window.spoken.length >= 1`, "the queue position said")
	agent.ready()
	agent.offerFrom("鲁家峙")
	agent.click("#offer-accept")
	silent.screen("call")
	k.waitJS(`window.spoken.some((s) => s.includes('马上就轮到您了'))`, "the kiosk next in line told so")
	agent.click("#hangup")
	silent.screen("ended")
	agent.wrapUp("done")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	k.screen("call")
	agent.click("#hangup")
	k.screen("ended")

	got := evalJS[[]string](k.tab, `window.spoken`)
	want := []string{"zh-CN:您前面还有 1 位，请稍候", "zh-CN:马上就轮到您了，请稍候", "zh-CN:轮到您了，工作人员马上和您视频通话", "zh-CN:通话已结束，感谢您的使用，请带好随身物品"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("the kiosk said %q, want %q", got, want)
	}
	if said := evalJS[[]string](silent.tab, `window.spoken`); len(said) != 0 {
		t.Errorf("a kiosk without a Chinese voice said %q", said)
	}
}

// TestSupervisorSeesStationHealth: the console's station list shows a
// kiosk online once its page connects, and another offline since it
// dropped, with the device its heartbeat said was missing.
func TestSupervisorSeesStationHealth(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	sv := openSupervisor(t, browser, n, "supervisor1")
	openStation(t, browser, n, "island1", 1280, 800, "")
	island := `#station-rows tr[data-station="island1"]`
	sv.waitJS(`document.querySelector('`+island+`')?.dataset.online === 'true'`, "island1 online")
	if got := sv.text(island); !strings.Contains(got, island1Name) || !strings.Contains(got, "海岛") || !strings.Contains(got, "在线") {
		t.Errorf("island1's row reads %q, want its name, the island mark and 在线", got)
	}

	station := dial(t, n, "station1")
	request(t, station, "station.heartbeat", map[string]any{"version": "2026.12.2",
		"devices": map[string]string{"camera": "ok", "document_camera": "missing", "microphone": "ok", "printer": "unknown"}})
	station.Close()
	row := `#station-rows tr[data-station="station1"]`
	sv.waitJS(`/起离线/.test(document.querySelector('`+row+`')?.textContent ?? '')`, "station1 offline since")
	if got := sv.text(row); !strings.Contains(got, "高拍仪") || strings.Contains(got, "摄像头") {
		t.Errorf("station1's row reads %q, want the document camera missing and nothing else", got)
	}
	if got := sv.text("#stations-offline"); got != "1 个离线" {
		t.Errorf("offline count reads %q, want 1 个离线", got)
	}
}
