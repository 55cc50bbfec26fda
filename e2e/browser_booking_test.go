package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
)

// bookingBrowserNode is a browser test node on which bookings can be made
// whenever the test runs.
func bookingBrowserNode(dir string) func(*node.Config) {
	return func(c *node.Config) {
		browserNode(c)
		bookingNode(dir)(c)
	}
}

// bookOnKiosk walks the kiosk's booking screens for the first free time of
// an item and returns the booking code on the slip.
func (s station) bookOnKiosk(category, itemID, shots string) string {
	s.t.Helper()
	s.click("#book-more")
	s.screen("booking")
	s.click(fmt.Sprintf(`#bk-body [data-category=%q]`, category))
	s.click(fmt.Sprintf(`#bk-body [data-item=%q]`, itemID))
	s.waitVisible(".bk-time:enabled")
	if shots != "" {
		s.screenshot(filepath.Join(screenshotDir, shots))
	}
	s.click(".bk-time:enabled")
	s.fill("#bk-name", "王小明")
	s.fill("#bk-phone", "1234")
	s.click("#bk-confirm")
	s.waitJS(`document.querySelector('#bk-done-code')?.textContent.length === 6`, "the booking code")
	s.waitJS(`window.cloudWindow.booking.prints > 0`, "the slip printed")
	if got := s.text(".bk-done"); !strings.Contains(got, "王**") || !strings.Contains(got, "*******1234") || strings.Contains(got, "王小明") {
		s.t.Errorf("booking shows %q, want the name and phone masked", got)
	}
	return s.text("#bk-done-code")
}

// bookingID finds the id of a booking by its code, as the server keeps it.
func bookingID(t *testing.T, n *node.Node, code string) string {
	t.Helper()
	status, body := apiJSON(t, n, "POST", "/api/v1/appointments/lookup", tokenOf(t, n, "supervisor1"), map[string]string{"code": code})
	if status != 200 {
		t.Fatalf("look up %s: %d %s", code, status, body)
	}
	var out struct {
		Booking struct {
			ID string `json:"id"`
		} `json:"booking"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Booking.ID
}

func TestResidentBooksOnTheKioskAndIsCalledFirstAtTheSlot(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	n := startNode(t, bookingBrowserNode(dir))
	openSchedule(t, n)
	item := itemOf(t, n, "medical_insurance")
	booked := openStation(t, browser, n, "station1", 1920, 1080, "")
	shot := ""
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		requireKioskFont(t)
		shot = "station-booking.png"
	}
	code := booked.bookOnKiosk("medical_insurance", item, shot)
	if shot != "" {
		booked.screenshot(filepath.Join(screenshotDir, "station-booking-slip.png"))
	}
	booked.click("#bk-finish")
	booked.screen("idle")

	// Another station asks first, without a booking, while the agent is
	// signed in but not ready.
	agent := openConsole(t, browser, n, "agent1")
	other := openStation(t, browser, n, "island1", 1280, 720, "")
	other.request("medical_insurance", item, "")

	// The slot comes: the booked station shows the booking and calls ahead.
	moveSlot(t, dir, bookingID(t, n, code), time.Now().Add(-time.Minute))
	evalJS[bool](booked.tab, `window.cloudWindow.booking.poll().then(() => true)`)
	booked.waitVisible(fmt.Sprintf(`#bk-due [data-code=%q] .bk-due-start`, code))
	booked.click(fmt.Sprintf(`#bk-due [data-code=%q] .bk-due-start`, code))
	booked.screen("queue")
	agent.ready()
	agent.offerFrom(station1Name)
}

func TestNoShowLapsesOnTheKiosk(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	n := startNode(t, bookingBrowserNode(dir))
	openSchedule(t, n)
	item := itemOf(t, n, "medical_insurance")
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	code := kiosk.bookOnKiosk("medical_insurance", item, "")
	kiosk.click("#bk-finish")
	kiosk.screen("idle")
	id := bookingID(t, n, code)

	moveSlot(t, dir, id, time.Now().Add(-9*time.Minute))
	evalJS[bool](kiosk.tab, `window.cloudWindow.booking.poll().then(() => true)`)
	kiosk.waitVisible(fmt.Sprintf(`#bk-due [data-code=%q]`, code))

	// Ten minutes after its slot the booking lapses: the banner goes and the
	// booking reads as a no-show that can no longer be changed.
	lapsedSlot := time.Now().Add(-11 * time.Minute)
	moveSlot(t, dir, id, lapsedSlot)
	evalJS[bool](kiosk.tab, `window.cloudWindow.booking.poll().then(() => true)`)
	kiosk.waitJS(`document.querySelector('#bk-due').hidden`, "the banner gone")
	kiosk.click("#book-more")
	kiosk.screen("booking")
	kiosk.click("#start-manage")
	kiosk.screen("booking-manage")
	kiosk.fill("#bk-code", code)
	kiosk.fill("#bk-code-phone", "1234")
	kiosk.click("#bk-find")
	kiosk.waitJS(`document.querySelector('#bk-found-state')?.textContent.includes('爽约')`, "the booking shown as a no-show")
	if evalJS[bool](kiosk.tab, `Boolean(document.querySelector('#bk-cancel'))`) {
		t.Errorf("a lapsed booking can still be cancelled")
	}

	// The supervisor sees it among the day's no-shows of the station.
	sv := openTab(t, browser, "supervisor1", n.URL()+"/console/bookings.html", 1600, 1000, "")
	sv.screen("login")
	sv.fill("#login-username", "supervisor1")
	sv.fill("#login-password", "demo")
	sv.click("#login-submit")
	sv.screen("bookings")
	// The slot's day, which in the first minutes after midnight is not today.
	sv.waitJS(`document.querySelector('#bk-date').value !== ''`, "today's bookings loaded")
	day := lapsedSlot.In(node.DefaultConfig().Location).Format("2006-01-02")
	evalJS[bool](sv, fmt.Sprintf(`(document.querySelector('#bk-date').value = %q) !== ''`, day))
	sv.click("#bk-load")
	sv.waitVisible(fmt.Sprintf(`#bk-rows [data-code=%q] .bk-state-no_show`, code))
	if got := sv.text("#bk-stations"); !strings.Contains(got, station1Name) {
		t.Errorf("bookings by station %q: want %s", got, station1Name)
	}
	if got := sv.text("#bk-rows"); strings.Contains(got, "王小明") || !strings.Contains(got, "*******1234") {
		t.Errorf("the day's bookings show %q: want names and phones masked", got)
	}
}

func TestAgentBooksTheFollowUpAtWrapUp(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	n := startNode(t, bookingBrowserNode(dir))
	openSchedule(t, n)
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	agent.expand("#resident-details")
	agent.fill("#resident-name", "赵六")
	agent.fill("#resident-phone", "13912345678")
	agent.click("#resident-save")
	agent.waitJS(`document.querySelector('#resident-summary').textContent.includes('赵')`, "the resident saved")
	agent.click("#hangup")
	agent.screen("wrapup")
	agent.click(`#wrapup-form input[value="needs_materials"]`)
	agent.waitVisible("#followup-book:enabled")
	agent.click("#followup-book")
	agent.waitJS(`/预约码 [A-Z0-9]{6}/.test(document.querySelector('#followup-result').textContent)`, "the follow-up booked")
	code := evalJS[string](agent.tab, `/预约码 ([A-Z0-9]{6})/.exec(document.querySelector('#followup-result').textContent)[1]`)

	// The booking is the station's, for the resident on the case, masked.
	status, body := apiJSON(t, n, "POST", "/api/v1/appointments/lookup", tokenOf(t, n, "station1"), map[string]string{"code": code, "phone_last4": "5678"})
	if status != 200 || !strings.Contains(string(body), `"name":"赵*"`) || !strings.Contains(string(body), station1Name) {
		t.Errorf("follow-up booking: %d %s", status, body)
	}
}
