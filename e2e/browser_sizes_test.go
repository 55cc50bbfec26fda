package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cloudwindow/catalog"
	"cloudwindow/node"
)

// kioskSizes are the screens kiosks are bought with: landscape 16:10, the
// common cheap 1366×768, full HD, and full HD and 800×1280 in portrait.
var kioskSizes = []struct{ w, h int64 }{
	{1280, 800}, {1366, 768}, {1920, 1080}, {1080, 1920}, {800, 1280},
}

// reachCheck lists what a finger or an older eye cannot use on the screen
// shown: a control or a text outside the window or under another element
// (hit testing at its centre, after scrolling the list it is in, if the
// list scrolls); a control under 64 px tall; a field too narrow for what is
// typed in it; text under 24 px; a page wider or taller than the window.
const reachCheck = `(() => {
	const W = innerWidth, H = innerHeight, problems = [];
	const doc = document.documentElement;
	if (doc.scrollWidth > W + 1 || doc.scrollHeight > H + 1) problems.push('page is ' + doc.scrollWidth + '×' + doc.scrollHeight);
	const name = (el) => {
		if (!el) return 'nothing';
		if (el.id) return '#' + el.id;
		const key = el.dataset?.key ? '[data-key=' + el.dataset.key + ']' : '';
		return el.tagName.toLowerCase() + key + ' "' + el.textContent.trim().replace(/\s+/g, ' ').slice(0, 24) + '"';
	};
	const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
	const screen = document.querySelector('[data-screen="' + document.body.dataset.view + '"]');
	const dialog = [...screen.querySelectorAll('[role=dialog]')].find(shown);
	const parts = dialog ? [dialog] : [document.querySelector('.topbar'), document.querySelector('#banner'), screen];
	const scrollBox = (el) => {
		for (let p = el.parentElement; p && p !== screen; p = p.parentElement) {
			const o = getComputedStyle(p).overflowY;
			if ((o === 'auto' || o === 'scroll') && p.scrollHeight > p.clientHeight) return p;
		}
		return null;
	};
	// centre scrolls box so that r is in its middle; rectangles are in
	// window pixels, scrollTop in the box's own (a zoomed page differs).
	const centre = (box, r) => {
		const b = box.getBoundingClientRect();
		box.scrollTop += (r.top - b.top - (b.height - r.height) / 2) * box.offsetHeight / b.height;
	};
	for (const part of parts) {
		for (const el of part.querySelectorAll('button, input:not([type=hidden]), select, textarea, a[href], summary')) {
			if (!shown(el)) continue;
			const box = scrollBox(el);
			const before = box?.scrollTop;
			if (box) centre(box, el.getBoundingClientRect());
			const r = el.getBoundingClientRect();
			if (r.height < 63.5) problems.push(name(el) + ' is ' + Math.round(r.height) + ' px tall');
			if (el.tagName === 'INPUT' && el.scrollWidth > el.clientWidth + 1) problems.push(name(el) + ' cuts off ' + el.value);
			if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5) {
				problems.push(name(el) + ' is outside the window at ' + [r.left, r.top, r.right, r.bottom].map(Math.round).join(','));
			} else {
				const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
				if (!hit || !(hit === el || el.contains(hit))) problems.push(name(el) + ' is under ' + name(hit));
			}
			if (box) box.scrollTop = before;
		}
		const walker = document.createTreeWalker(part, NodeFilter.SHOW_TEXT);
		for (let t = walker.nextNode(); t; t = walker.nextNode()) {
			const el = t.parentElement;
			if (!t.textContent.trim() || !el || !shown(el) || el.closest('svg')) continue;
			const px = parseFloat(getComputedStyle(el).fontSize);
			if (px < 23.5) problems.push(name(el) + ' text is ' + px + ' px');
			const box = scrollBox(el);
			const before = box?.scrollTop;
			const range = document.createRange();
			range.selectNodeContents(t);
			if (box) centre(box, range.getBoundingClientRect());
			const r = range.getBoundingClientRect();
			// Glyphs may reach a little past their line (CJK fonts are tall).
			const slack = px / 4;
			if (getComputedStyle(el).pointerEvents === 'none') {
				// A hint drawn over something else cannot be hit-tested.
			} else if (r.left < -slack || r.top < -slack || r.right > W + slack || r.bottom > H + slack) {
				problems.push(name(el) + ' text is outside the window');
			} else {
				const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
				if (!hit || !(hit === el || el.contains(hit) || hit.contains(el))) problems.push(name(el) + ' text is under ' + name(hit));
			}
			if (box) box.scrollTop = before;
		}
	}
	return [...new Set(problems)];
})()`

// fitsEverySize shows the current kiosk screen at every kiosk size, with
// and without 大字 where the kiosk offers it, and reports what does not
// fit, then goes back to the tab's usual size. With
// CLOUDWINDOW_SIZE_SHOTS=<dir> it also saves each as a PNG for a look.
func fitsEverySize(t *testing.T, k station, what string) {
	t.Helper()
	dir := os.Getenv("CLOUDWINDOW_SIZE_SHOTS")
	for _, s := range kioskSizes {
		k.resize(s.w, s.h)
		modes := []string{""}
		if evalJS[bool](k.tab, `getComputedStyle(document.querySelector('#large-text')).display !== 'none'`) {
			modes = append(modes, "大字 ")
		}
		for _, mode := range modes {
			evalJS[bool](k.tab, fmt.Sprintf(`window.cloudWindow.largeText(%t), true`, mode != ""))
			for _, p := range evalJS[[]string](k.tab, reachCheck) {
				t.Errorf("%d×%d %s%s: %s", s.w, s.h, mode, what, p)
			}
			if dir != "" {
				k.screenshot(filepath.Join(dir, fmt.Sprintf("%s%s-%dx%d.png", mode, strings.ReplaceAll(what, " ", "-"), s.w, s.h)))
			}
		}
		evalJS[bool](k.tab, `window.cloudWindow.largeText(false), true`)
	}
	k.resize(1280, 800)
}

// resize sets the window size and waits until the page is laid out at it.
func (p *tab) resize(w, h int64) {
	p.t.Helper()
	p.do(fmt.Sprintf("resize to %d×%d", w, h), chromedp.EmulateViewport(w, h))
	p.waitJS(fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, w, h), "the new window size")
	evalJS[bool](p, `new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok(true))))`)
}

// TestKioskScreenSizes walks every kiosk screen, from sign-in to the
// receipt, and checks each at every kiosk size.
func TestKioskScreenSizes(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	item := longestNotice(t, n, "medical_insurance")
	k := station{openTab(t, browser, "station1", n.URL()+"/station/"+kioskSettings, 1280, 800, "")}
	k.screen("login")
	fitsEverySize(t, k, "sign-in")
	k.fill("#login-username", "station1")
	k.fill("#login-password", "demo")
	k.click("#login-submit")
	k.screen("idle")
	fitsEverySize(t, k, "first screen")
	largeTextTouch(t, k)

	k.click("#start-lookup")
	k.screen("lookup")
	fitsEverySize(t, k, "case lookup")
	typeOnKeypad(t, k)
	k.click(`[data-screen="lookup"] [data-action="home"]`)
	selfCheckScreens(t, k)

	k.click(`[data-lang="en"]`)
	fitsEverySize(t, k, "first screen in English")
	k.chooseItem("medical_insurance", item, "elderly")
	fitsEverySize(t, k, "item notice in English")
	k.click(`[data-lang="zh"]`)
	k.click(`[data-screen="detail"] [data-action="back-to-items"]`)
	k.click(`[data-screen="items"] [data-action="categories"]`)
	k.click(`[data-screen="categories"] [data-action="home"]`)
	walkChoice(t, k)
	k.chooseItem("medical_insurance", item, "")
	fitsEverySize(t, k, "item notice")
	k.click("#call-button")
	k.screen("notice") // nobody is signed in at the center
	fitsEverySize(t, k, "no agents notice")
	k.click(`[data-screen="notice"] [data-action="home"]`)

	cameraProblem(t, browser, n, item)
	inCall(t, browser, n, k, item)
}

// longestNotice is the item of category with the most materials that
// needs a signature: the fullest item notice.
func longestNotice(t *testing.T, n *node.Node, category string) string {
	t.Helper()
	items, err := n.Catalog.Items(context.Background(), catalog.Query{Category: category})
	if err != nil {
		t.Fatalf("catalog items of %s: %v", category, err)
	}
	items = slices.DeleteFunc(items, func(i catalog.Item) bool { return !i.SignatureRequired })
	if len(items) == 0 {
		t.Fatalf("no item of %s needs a signature", category)
	}
	longest := slices.MaxFunc(items, func(a, b catalog.Item) int { return len(a.Materials) - len(b.Materials) })
	if len(longest.Materials) < 3 {
		t.Fatalf("the longest notice of %s has %d materials, want at least 3", category, len(longest.Materials))
	}
	return longest.ID
}

// typeOnKeypad types a receipt number with real clicks at every size.
func typeOnKeypad(t *testing.T, k station) {
	t.Helper()
	for _, s := range kioskSizes {
		k.resize(s.w, s.h)
		k.click(`#keypad [data-key="clear"]`)
		for _, r := range "202612020001" {
			k.click(fmt.Sprintf(`#keypad [data-key="%c"]`, r))
		}
		if got := evalJS[string](k.tab, `document.querySelector('#lookup-number').value`); got != "YW20261202-0001" {
			t.Errorf("%d×%d: the keypad typed %q for 202612020001", s.w, s.h, got)
		}
	}
	k.resize(1280, 800)
}

// selfCheckScreens checks the helper's PIN entry and the self-check.
func selfCheckScreens(t *testing.T, k station) {
	t.Helper()
	k.holdHelperEntry()
	fitsEverySize(t, k, "helper PIN")
	k.enterPIN(helperPIN)
	k.screen("selfcheck")
	k.waitJS(`window.cloudWindow.selfCheck.results.server !== undefined`, "the self-check to finish")
	k.click("#selfcheck-tone")
	k.click("#selfcheck-print")
	fitsEverySize(t, k, "self-check")
	k.click(`[data-screen="selfcheck"] [data-action="home"]`)
	k.screen("idle")
}

// walkChoice checks the green channel, category and item screens.
func walkChoice(t *testing.T, k station) {
	t.Helper()
	k.click("#start-green")
	k.screen("green")
	fitsEverySize(t, k, "green channel")
	k.click(`[data-green="elderly"]`)
	k.screen("categories")
	fitsEverySize(t, k, "categories")
	k.click(`[data-category="medical_insurance"]`)
	k.screen("items")
	fitsEverySize(t, k, "items")
	k.click(`[data-screen="items"] [data-action="categories"]`)
	k.click(`[data-screen="categories"] [data-action="home"]`)
	k.screen("idle")
}

// cameraProblem checks the screen a kiosk shows when its camera is refused.
func cameraProblem(t *testing.T, browser context.Context, n *node.Node, item string) {
	t.Helper()
	k := openStation(t, browser, n, "island1", 1280, 800, denyCamera)
	k.chooseItem("medical_insurance", item, "")
	k.click("#call-button")
	k.screen("camera-problem")
	fitsEverySize(t, k, "camera problem")
}

// inCall checks the queue, the call with the document camera, captions and
// the signing layer, the rating, the receipt, and the case's status.
func inCall(t *testing.T, browser context.Context, n *node.Node, k station, item string) {
	t.Helper()
	agent := openConsole(t, browser, n, "agent1") // online, not ready: the kiosk queues
	k.request("medical_insurance", item, "")
	fitsEverySize(t, k, "queue")

	agent.ready()
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	k.screen("call")
	k.videoPlaying("#document-video")
	k.videoPlaying("#remote-video") // the call as it settles, not while the agent's video is on its way
	for _, m := range []string{"您好，我是王芳。", "请把身份证放到高拍仪下面。", "好的，看到了，请稍等。"} {
		agent.fill("#chat-input", m)
		agent.click(".chat-form button")
	}
	k.waitJS(`document.querySelectorAll('#captions li').length === 3`, "three captions")
	fitsEverySize(t, k, "call")
	captionsClear(t, k)
	helperAndGuest(t, n, k, agent)

	agent.expand("#resident-details")
	agent.fill("#resident-name", "王建国")
	agent.click("#push-form")
	k.waitVisible("#sign-layer")
	fitsEverySize(t, k, "signing")

	agent.click("#hangup")
	k.screen("ended")
	fitsEverySize(t, k, "rating")
	k.click(`[data-score="4"]`)
	k.waitVisible("#rating-chips")
	fitsEverySize(t, k, "rating with reasons")
	k.click("#rating-submit")
	k.screen("receipt-wait")
	fitsEverySize(t, k, "waiting for the receipt")
	agent.wrapUp("forwarded")
	k.screen("receipt")
	k.waitJS(`document.querySelector('#receipt-frame').contentDocument?.querySelector('svg path') != null`, "the receipt in its frame")
	fitsEverySize(t, k, "receipt")

	number := k.text("#receipt-number")
	k.click(`[data-screen="receipt"] [data-action="home"]`)
	k.click("#start-lookup")
	k.screen("lookup")
	for _, r := range strings.TrimPrefix(number, "YW") {
		if r != '-' {
			k.click(fmt.Sprintf(`#keypad [data-key="%c"]`, r))
		}
	}
	k.click("#lookup-submit")
	k.waitVisible("#lookup-result")
	fitsEverySize(t, k, "case status")
}

// helperAndGuest checks the helper's sign-in, the call with a helper signed
// in, and the resident's consent to an invited guest.
func helperAndGuest(t *testing.T, n *node.Node, k station, agent console) {
	t.Helper()
	k.click("#helper-sign-in")
	k.waitVisible("#helper-sign-form")
	fitsEverySize(t, k, "helper sign-in")
	k.fill("#helper-sign-username", "helper1")
	k.fill("#helper-sign-pin", "2468")
	k.click("#helper-sign-submit")
	k.waitVisible("#helper-chip")
	fitsEverySize(t, k, "call with a helper")
	agent.click("#guest-invite")
	agent.waitVisible("#guest-link")
	link := evalJS[string](agent.tab, `document.querySelector('#guest-link').value`)
	_, secret, _ := strings.Cut(link, "#")
	if _, err := dialGuest(t, n, secret); err != nil {
		t.Fatal(err)
	}
	k.waitVisible("#guest-consent")
	fitsEverySize(t, k, "consent to a guest")
	k.click("#consent-refuse")
	k.waitJS(`document.querySelector('#guest-consent').hidden`, "the consent question to go")
}

// captionsClear checks at every size that no caption sits under the
// self-view or the document camera's view, and that none is cut through:
// an older one that does not fit goes whole, and the newest always shows.
func captionsClear(t *testing.T, k station) {
	t.Helper()
	const overlap = `(() => {
		const over = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
		const pips = [...document.querySelectorAll('.pip')].filter((p) => !p.hidden).map((p) => p.getBoundingClientRect());
		return [...document.querySelectorAll('#captions li')].filter((li) => pips.some((p) => over(li.getBoundingClientRect(), p))).length;
	})()`
	const clipped = `(() => {
		const box = document.querySelector('#captions').getBoundingClientRect();
		return [...document.querySelectorAll('#captions li')].filter((li) => !li.hidden && li.getBoundingClientRect().top < box.top - 0.5).length;
	})()`
	for _, s := range kioskSizes {
		k.resize(s.w, s.h)
		if n := evalJS[int](k.tab, overlap); n > 0 {
			t.Errorf("%d×%d call: %d captions under a camera view", s.w, s.h, n)
		}
		if n := evalJS[int](k.tab, clipped); n > 0 {
			t.Errorf("%d×%d call: %d of the captions cut off at the top", s.w, s.h, n)
		}
		if !evalJS[bool](k.tab, `!document.querySelector('#captions li:last-child').hidden`) {
			t.Errorf("%d×%d call: the newest caption is hidden", s.w, s.h)
		}
	}
	k.resize(1280, 800)
}

// largeTextTouch turns 大字 on and off with the button on a big screen and
// checks that body text grows by at least a quarter.
func largeTextTouch(t *testing.T, k station) {
	t.Helper()
	k.resize(1920, 1080)
	defer k.resize(1280, 800)
	const height = `document.querySelector('.idle-help').getBoundingClientRect().height`
	before := evalJS[float64](k.tab, height)
	k.click("#large-text")
	k.waitJS(`document.querySelector('#large-text').getAttribute('aria-pressed') === 'true'`, "大字 on")
	if after := evalJS[float64](k.tab, height); after < before*1.25 {
		t.Errorf("大字 makes a line of text %.0f px tall, was %.0f px", after, before)
	}
	k.click("#large-text")
	if after := evalJS[float64](k.tab, height); after != before {
		t.Errorf("after 大字 off a line of text is %.0f px tall, want %.0f px again", after, before)
	}
}
