package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cloudwindow/client"
	"cloudwindow/rectify"
)

// TestBrowserRectificationFromReviewToFixed: a 1-star rating marks its row
// 待整改 in the recording list; on the session page the supervisor starts
// the follow-up, cannot close it without saying what was done, closes it
// with a note, and the row's marker goes away.
func TestBrowserRectificationFromReviewToFixed(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	callID := recordedCall(t, n, func(station, agent *client.Media) { sendSynthetic(25, station, agent) })
	kiosk := dial(t, n, "station1")
	request(t, kiosk, "rating.submit", map[string]any{"call_id": callID, "score": 1, "comment": "坐席态度差"})

	p := openReview(t, browser, n, "supervisor1")
	row := fmt.Sprintf(`#session-rows tr[data-call=%q]`, callID)
	p.waitVisible(row + ` .rect-marker[data-rect="open"]`)
	if got := p.text(row + " .rect-marker"); got != "待整改" {
		t.Errorf("list marker %q, want 待整改", got)
	}

	p.click(row + " a")
	p.screen("session")
	p.waitVisible("#rectification")
	if got := p.text("#rect-status"); got != "待整改" {
		t.Errorf("panel status %q, want 待整改", got)
	}
	p.click("#rect-start")
	p.waitJS(`document.querySelector('#rect-status').dataset.rect === 'in_progress'`, "the follow-up started")

	p.click("#rect-fix")
	p.waitJS(`document.querySelector('#rect-error').textContent !== ''`, "closing without a note refused")
	p.fill("#rect-note", "已约谈坐席，电话回访居民")
	p.click("#rect-fix")
	p.waitJS(`document.querySelector('#rect-status').dataset.rect === 'fixed'`, "the follow-up closed")
	if got := p.text("#rect-steps"); !strings.Contains(got, "已约谈坐席，电话回访居民") {
		t.Errorf("steps %q, want the closing note", got)
	}
	r, err := n.Rectify.Get(context.Background(), callID)
	if err != nil || r.Status != rectify.StatusFixed || len(r.Steps) != 3 || r.OwnerName == "" {
		t.Errorf("stored rectification %+v, %v; want fixed after 3 steps, with an owner", r, err)
	}
	if got := p.text("#rect-info"); !strings.Contains(got, r.OwnerName) {
		t.Errorf("panel info %q, want the owner %s", got, r.OwnerName)
	}

	p.click("#back")
	p.screen("list")
	p.waitJS(fmt.Sprintf(`document.querySelector('%s .rect-marker') === null`, row), "the marker gone")
}
