package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"cloudwindow/node"
)

// cspWatch records every Content-Security-Policy violation of a page.
const cspWatch = `window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));`

// injectedScriptRuns tells whether a script element added by the page's
// own code (as an XSS would) runs.
const injectedScriptRuns = `(() => {
  const s = document.createElement('script');
  s.textContent = 'window.injectedRan = true';
  document.body.append(s);
  return window.injectedRan === true;
})()`

// TestBrowserContentSecurityPolicy loads every app page under the policy:
// none of them breaks it, an injected inline script does not run, and the
// form and receipt pages in the kiosk's frames keep their styles.
func TestBrowserContentSecurityPolicy(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	pages := map[string]*tab{
		"kiosk":      signIn(t, openTab(t, browser, "station1", n.URL()+"/station/"+kioskSettings, 1280, 720, cspWatch), "station1", "idle"),
		"console":    signIn(t, openTab(t, browser, "agent1", n.URL()+"/console/", 1600, 1000, cspWatch), "agent1", "desk"),
		"supervisor": signIn(t, openTab(t, browser, "supervisor1", n.URL()+"/console/", 1600, 1000, cspWatch), "supervisor1", "supervise"),
		"review":     signIn(t, openTab(t, browser, "supervisor1", n.URL()+"/console/review.html", 1600, 1000, cspWatch), "supervisor1", "list"),
		"guest":      openTab(t, browser, "guest", n.URL()+"/guest/#0123456789abcdef0123456789abcdef.00000000-0000-0000-0000-000000000000", 390, 844, cspWatch),
	}
	// An unknown invitation: the guest's page says so and stops.
	pages["guest"].screen("ended")

	// The kiosk shows a real confirmation sheet and receipt in its frames.
	form, receipt := formAndReceipt(t, n)
	kiosk := pages["kiosk"]
	evalJS[bool](kiosk, fmt.Sprintf(
		`document.querySelector('#sign-form').srcdoc = %s; document.querySelector('#receipt-frame').srcdoc = %s; true`,
		jsString(form), jsString(receipt)))
	kiosk.waitJS(`getComputedStyle(document.querySelector('#sign-form').contentDocument?.querySelector('th') ?? document.body).backgroundColor === 'rgb(242, 242, 242)'`,
		"the form in its frame with its own styles")
	kiosk.waitJS(`getComputedStyle(document.querySelector('#receipt-frame').contentDocument?.querySelector('h1') ?? document.body).textAlign === 'center'`,
		"the receipt in its frame with its own styles")

	for name, p := range pages {
		if v := evalJS[[]string](p, `window.cspViolations`); len(v) > 0 {
			t.Errorf("%s page breaks its Content-Security-Policy: %v", name, v)
		}
		if evalJS[bool](p, injectedScriptRuns) {
			t.Errorf("%s page runs an injected inline script", name)
		}
	}
}

func signIn(t *testing.T, p *tab, username, screen string) *tab {
	t.Helper()
	p.screen("login")
	p.fill("#login-username", username)
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen(screen)
	return p
}

// formAndReceipt runs a call between Go clients (island1 and agent2) and
// returns its case's confirmation sheet and receipt pages.
func formAndReceipt(t *testing.T, n *node.Node) (form, receipt string) {
	t.Helper()
	station, agent := dial(t, n, "island1"), dial(t, n, "agent2")
	ready(t, agent)
	callID := startCall(t, station, agent, "mi-001")
	stTok, agTok := token(t, n, "island1"), token(t, n, "agent2")
	var cs struct{ ID string }
	api(t, n, "GET", "/api/v1/calls/"+callID+"/case", agTok, nil, &cs)
	var page struct{ HTML string }
	if code := api(t, n, "POST", "/api/v1/cases/"+cs.ID+"/forms", agTok, nil, &page); code != http.StatusCreated || page.HTML == "" {
		t.Fatalf("push form: %d", code)
	}
	form = page.HTML
	if code := api(t, n, "GET", "/api/v1/cases/"+cs.ID+"/receipt", stTok, nil, &page); code != http.StatusOK {
		t.Fatalf("receipt: %d", code)
	}
	return form, page.HTML
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
