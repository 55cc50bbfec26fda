package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestBrowserTickets: two residents take numbers at one kiosk and sit down;
// the kiosk calls the first, who answers and talks to the agent; after that
// call the kiosk calls the second number once the agent is free again.
func TestBrowserTickets(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	kiosk := openStation(t, browser, n, "station1", 1920, 1080, "")

	kiosk.chooseItem("medical_insurance", item, "")
	kiosk.takeTicket("A001")
	kiosk.click("#tickets-take") // the next resident
	kiosk.screen("categories")
	kiosk.click(`[data-category="medical_insurance"]`)
	kiosk.screen("items")
	kiosk.click(fmt.Sprintf(`#item-list [data-item=%q]`, item))
	kiosk.screen("detail")
	kiosk.takeTicket("A002")
	kiosk.waitJS(`[...document.querySelectorAll('#tickets-list .ticket-row-number')].map((e) => e.textContent).join() === 'A001,A002'`,
		"both numbers on the waiting list")

	agent.ready()
	kiosk.calls("A001")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		requireKioskFont(t)
		kiosk.screenshot(filepath.Join(screenshotDir, "station-ticket-call.png"))
	}
	kiosk.click("#ticket-answer")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	if got := kiosk.text("#tickets-calling-number"); got == "A002" {
		t.Errorf("second number called while the first resident talks")
	}

	agent.click("#hangup")
	kiosk.screen("ended")
	kiosk.click("#rating-skip")
	kiosk.screen("receipt-wait")
	kiosk.click(`[data-screen="receipt-wait"] [data-action="home"]`)
	kiosk.screen("tickets") // A002 still waits
	agent.wrapUp("consultation")
	kiosk.calls("A002")
	kiosk.click("#ticket-answer")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	kiosk.screen("call")
}

// takeTicket takes a number for the item whose notice is open and checks
// the slip, then goes on to the waiting list.
func (s station) takeTicket(want string) {
	s.t.Helper()
	s.click("#ticket-button")
	s.screen("ticket-slip")
	if got := s.text("#ticket-slip-number"); got != want {
		s.t.Fatalf("ticket slip shows %q, want %q", got, want)
	}
	s.click("#ticket-slip-ok")
	s.screen("tickets")
}

// calls waits until the kiosk calls the number.
func (s station) calls(number string) {
	s.t.Helper()
	s.screen("ticket-call")
	if got := s.text("#ticket-call-number"); got != number {
		s.t.Fatalf("kiosk calls %q, want %q", got, number)
	}
}
