package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestKioskTicketsFitAndSurviveARestart: the ticket slip and the waiting
// numbers fit every kiosk screen, and a kiosk restarted while residents
// wait with numbers shows the same numbers again.
func TestKioskTicketsFitAndSurviveARestart(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1") // signed in, not ready
	kiosk := openStation(t, browser, n, "station1", 1280, 800, "")

	kiosk.chooseItem("medical_insurance", item, "")
	kiosk.click("#ticket-button")
	kiosk.screen("ticket-slip")
	fitsEverySize(t, kiosk, "ticket slip")
	kiosk.click("#ticket-slip-ok")
	kiosk.screen("tickets")
	fitsEverySize(t, kiosk, "waiting numbers")

	kiosk.do("press F5", chromedp.Reload())
	kiosk.screen("tickets")
	kiosk.waitJS(`[...document.querySelectorAll('#tickets-list .ticket-row-number')].map((e) => e.textContent).join() === 'A001'`,
		"A001 on the waiting list after the restart")

	agent.ready()
	kiosk.calls("A001")
	fitsEverySize(t, kiosk, "number called")
}

// TestKioskBookingScreensFit: the booking screens, from the times of a day
// to the slip, fit every kiosk screen.
func TestKioskBookingScreensFit(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, bookingBrowserNode(t.TempDir()))
	openSchedule(t, n)
	item := itemOf(t, n, "medical_insurance")
	kiosk := openStation(t, browser, n, "station1", 1280, 800, "")

	kiosk.click("#book-more")
	kiosk.screen("booking")
	fitsEverySize(t, kiosk, "booking categories")
	kiosk.click(`#bk-body [data-category="medical_insurance"]`)
	kiosk.click(`#bk-body [data-item="` + item + `"]`)
	kiosk.waitVisible(".bk-time:enabled")
	fitsEverySize(t, kiosk, "booking times")
	kiosk.click(".bk-time:enabled")
	kiosk.waitVisible("#bk-name")
	fitsEverySize(t, kiosk, "booking name and phone")
	kiosk.fill("#bk-name", "王小明")
	kiosk.fill("#bk-phone", "1234")
	kiosk.click("#bk-confirm")
	kiosk.waitJS(`document.querySelector('#bk-done-code')?.textContent.length === 6`, "the booking code")
	fitsEverySize(t, kiosk, "booking slip")
}

// TestKioskHoldAndPartiesFitAndSurviveARestart: the hold screen of a
// consultation and the list of people in a three-way call fit every kiosk
// screen, and a kiosk restarted in either comes back showing the same.
func TestKioskHoldAndPartiesFitAndSurviveARestart(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	backOffice := openConsole(t, browser, n, "backoffice1")
	backOffice.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 800, "")

	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	agent.click("#consult")
	kiosk.waitVisible("#hold-layer")
	fitsEverySize(t, kiosk, "hold")

	kiosk.do("press F5", chromedp.Reload())
	kiosk.screen("call")
	kiosk.waitVisible("#hold-layer")

	backOffice.offerFrom(station1Name)
	backOffice.click("#offer-accept")
	backOffice.screen("call")
	agent.click("#consult-merge")
	kiosk.waitJS(`document.querySelector('#hold-layer').hidden`, "the hold screen to go")
	kiosk.waitJS(`document.querySelectorAll('#call-parties li').length === 3`, "three people listed on the kiosk")
	fitsEverySize(t, kiosk, "three people in the call")

	kiosk.do("press F5", chromedp.Reload())
	kiosk.screen("call")
	kiosk.waitJS(`document.querySelectorAll('#call-parties li').length === 3`, "three people listed after the restart")
}

// TestKioskVoiceCallCaptionsLeaveTheStatus: in a call without the agent's
// picture, long chat captions never cover 声音通话中 on any kiosk screen,
// and the newest caption stays in full view.
func TestKioskVoiceCallCaptionsLeaveTheStatus(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsoleWith(t, browser, n, "agent1", denyCamera)
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 800, "")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
	kiosk.waitJS(`document.querySelector('#call-waiting p').textContent === '声音通话中'`, "声音通话中 on the call screen")

	long := strings.Repeat("请您把户口本首页和本人页依次放到高拍仪下面，", 3)
	for i := range 3 {
		agent.fill("#chat-input", long+string(rune('一'+i)))
		agent.click(".chat-form button")
	}
	kiosk.waitJS(`document.querySelectorAll('#captions li').length === 3`, "three captions")
	const layout = `(() => {
		const over = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
		const status = document.querySelector('#call-waiting p').getBoundingClientRect();
		const list = document.querySelector('#captions').getBoundingClientRect();
		const newest = document.querySelector('#captions li:last-child').getBoundingClientRect();
		return {covers: over(status, list), newestShown: newest.top >= list.top - 1 && newest.bottom <= list.bottom + 1};
	})()`
	for _, s := range kioskSizes {
		kiosk.resize(s.w, s.h)
		got := evalJS[struct{ Covers, NewestShown bool }](kiosk.tab, layout)
		if got.Covers {
			t.Errorf("%d×%d: the captions cover 声音通话中", s.w, s.h)
		}
		if !got.NewestShown {
			t.Errorf("%d×%d: the newest caption is cut off", s.w, s.h)
		}
	}
}
