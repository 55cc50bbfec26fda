package e2e

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudwindow/client"
)

// TestReviewPagePlaysFourPartiesInStep records a four-party call (the
// resident, the agent, the back office and a supervisor who whispers, then
// barges in) with real VP8 and Opus, and has a supervisor review it in
// Chromium: four tiles show pictures, and their times advance together on
// the one clock; the supervisor's tile is marked while they whispered.
func TestReviewPagePlaysFourPartiesInStep(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	c := loadClip(t)
	callID := fourPartyCall(t, n, func(all []*client.Media, barge func()) {
		var wg sync.WaitGroup
		for _, m := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.send(m)
			}()
		}
		time.Sleep(2 * time.Second) // whispering, then in the open
		barge()
		wg.Wait()
	})

	p := openReview(t, browser, n, "supervisor1")
	p.click(fmt.Sprintf(`#session-rows tr[data-call=%q] a`, callID))
	p.screen("session")
	parties := []string{"station", "agent", "consult", "supervisor"}
	p.waitJS(`document.querySelectorAll('#players .lane:not([hidden])').length === 4`, "four tiles")
	p.waitJS(`['station', 'agent', 'consult', 'supervisor'].every((party) =>
		document.getElementById('video-' + party).readyState >= 2)`, "the four videos loaded")
	if got := p.text(`.lane[data-party="consult"] figcaption`); !strings.Contains(got, "后台") {
		t.Errorf("the back office's tile is labelled %q", got)
	}

	p.click("#play")
	p.waitJS(`window.cloudWindowReview.page.player.time > 0.5`, "the player to run")
	first := fourLanes(p)
	p.waitJS(fmt.Sprintf(`window.cloudWindowReview.page.player.time > %f`, first.Master+1), "the clock to run on")
	second := fourLanes(p)
	for _, party := range parties {
		a, b := first.Lanes[party], second.Lanes[party]
		if b.Width == 0 || b.Current <= a.Current {
			t.Errorf("%s tile: width %d, time %.2f then %.2f: not playing", party, b.Width, a.Current, b.Current)
		}
		if math.Abs(b.At-second.Master) > 0.3 {
			t.Errorf("%s tile at %.2f s of the call, player at %.2f s", party, b.At, second.Master)
		}
	}
	mark := `document.querySelector('.lane[data-party="supervisor"] .lane-whisper').hidden`
	p.click("#play") // pause
	p.click(`#events li[data-type="supervisor_whisper"] button`)
	p.waitJS("!"+mark, "the whisper marked on the supervisor's tile")
	p.click(`#events li[data-type="supervisor_barge"] button`)
	p.waitJS(mark, "no whisper mark once they barged in")
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		// Just before the barge: everyone on screen, the whisper marked.
		evalJS[bool](p.tab, `(window.cloudWindowReview.page.player.seek(window.cloudWindowReview.page.player.time - 0.3), window.scrollTo(0, 0), true)`)
		p.waitJS("!"+mark+` && [...document.querySelectorAll('#players video')].slice(0, 4).every((v) => v.readyState >= 2 && !v.seeking)`, "the frame before the barge")
		p.screenshot(filepath.Join(screenshotDir, "review-four-party.png"))
	}
}

type fourLaneState struct {
	Master float64              `json:"master"`
	Lanes  map[string]laneState `json:"lanes"`
}

// fourLanes reads where each of the four tiles is on the call's clock.
func fourLanes(p review) fourLaneState {
	p.t.Helper()
	return evalJS[fourLaneState](p.tab, `(() => {
		const lanes = {};
		for (const party of ['station', 'agent', 'consult', 'supervisor']) {
			const v = document.getElementById('video-' + party);
			lanes[party] = {at: v.currentTime + Number(v.dataset.offset), current: v.currentTime, width: v.videoWidth,
				paused: v.paused, seeking: v.seeking};
		}
		return {master: window.cloudWindowReview.page.player.time, lanes};
	})()`)
}
