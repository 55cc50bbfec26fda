package e2e

import (
	"testing"

	"cloudwindow/client"
	"cloudwindow/node"
)

// slowFormPush holds the answer to the console's form push for a second,
// as a slow link does, so the station's signature arrives before it.
const slowFormPush = `(() => {
	const fetch = window.fetch.bind(window);
	window.fetch = async (url, init) => {
		const res = await fetch(url, init);
		if (init?.method === 'POST' && String(url).endsWith('/forms')) await new Promise((r) => setTimeout(r, 1000));
		return res;
	};
})();`

// TestBrowserFormSignedAtOnceStaysSigned: a station that signs the pushed
// form before the console has the answer to its push (a quick kiosk, a slow
// answer) leaves the console showing the form signed, with the signature.
func TestBrowserFormSignedAtOnceStaysSigned(t *testing.T) {
	n, agent, station := consoleInCall(t, slowFormPush)
	stTok := token(t, n, "station1")
	next(t, station, "call.started")

	agent.expand("#resident-details")
	agent.fill("#resident-name", "王建国")
	agent.click("#push-form")
	signPushedForm(t, ctxT(t), n, station, stTok, "王建国")
	agent.waitJS(`document.querySelector('#form-status').dataset.state === 'signed'`, "the console told of the signature")
	// The console folds the resident's details away when the push is answered.
	agent.waitJS(`!document.querySelector('#resident-details').open`, "the push answered")
	shown := evalJS[bool](agent.tab, `document.querySelector('#form-status').dataset.state === 'signed' &&
		!document.querySelector('#signature-image').hidden && document.querySelector('#signature-image').naturalWidth > 0`)
	if !shown {
		t.Errorf("once the push is answered the console shows the form %q, signature hidden %v: want it signed, with the signature",
			agent.text("#form-status"), evalJS[bool](agent.tab, `document.querySelector('#signature-image').hidden`))
	}
}

// slowCaseLoad holds the answer to the console's load of a call's case for
// a second and a half, as a slow link does, and notes when it has come.
const slowCaseLoad = `(() => {
	const fetch = window.fetch.bind(window);
	window.fetch = async (url, init) => {
		const res = await fetch(url, init);
		if ((init?.method ?? 'GET') === 'GET' && String(url).endsWith('/case')) {
			await new Promise((r) => setTimeout(r, 1500));
			setTimeout(() => { window.__caseLoaded = true; }, 0);
		}
		return res;
	};
})();`

// TestBrowserNameTypedBeforeTheCaseLoadsStays: an agent who types the
// resident's name as soon as the call starts keeps it when the case's
// stored details come in after.
func TestBrowserNameTypedBeforeTheCaseLoadsStays(t *testing.T) {
	_, agent, _ := consoleInCall(t, slowCaseLoad)
	agent.expand("#resident-details")
	agent.fill("#resident-name", "王建国")
	if evalJS[bool](agent.tab, `window.__caseLoaded === true`) {
		t.Fatal("the case loaded before the name was typed: the test proves nothing")
	}
	agent.waitJS(`window.__caseLoaded === true`, "the case loaded")
	if got := evalJS[string](agent.tab, `document.querySelector('#resident-name').value`); got != "王建国" {
		t.Errorf("after the case loaded the name field holds %q, want what the agent typed", got)
	}
}

// consoleInCall signs agent1 in on a console page with script run before
// the page's own, and has it accept a call from a Go station1.
func consoleInCall(t *testing.T, script string) (*node.Node, console, *client.Client) {
	t.Helper()
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	p := openTab(t, browser, "agent1", n.URL()+"/console/", 1920, 1080, script)
	p.screen("login")
	p.fill("#login-username", "agent1")
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen("desk")
	agent := console{p}
	agent.ready()
	station := dial(t, n, "station1")
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	return n, agent, station
}
