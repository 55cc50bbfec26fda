package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cloudwindow/calls"
	"cloudwindow/client"
)

// TestReviewPageShowsStationLink: a supervisor reviewing a call finds the
// station's link samples under the timeline, a poor one marked as such, and
// clicking a sample seeks the recording to it.
func TestReviewPageShowsStationLink(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	c := loadClip(t)
	var started time.Time
	callID := recordedCall(t, n, func(station, _ *client.Media) {
		started = time.Now()
		c.send(station)
	})
	// The samples the call kept, plus a poor one two seconds in.
	poor := calls.LinkSample{At: started.Add(2 * time.Second), Party: "station", RTTMs: 320, LossPct: 7.5, BitrateKbps: 180, Quality: "poor"}
	if err := n.Calls.AddLinkSample(context.Background(), callID, poor); err != nil {
		t.Fatal(err)
	}

	p := openReview(t, browser, n, "supervisor1")
	p.click(fmt.Sprintf(`#session-rows tr[data-call=%q] a`, callID))
	p.screen("session")
	p.waitVisible(`#review-link li[data-quality="poor"] button`)
	if got := p.text(`#review-link li[data-quality="poor"] .detail`); got != "延迟 320 毫秒 · 丢包 7.5% · 180 kbit/s" {
		t.Errorf("poor sample reads %q", got)
	}
	p.click(`#review-link li[data-quality="poor"] button`)
	p.waitJS(`window.cloudWindowReview.page.player.time > 1`, "the sample to seek the recording")
}
