package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"cloudwindow/client"
)

// TestBrowserBargingSupervisorIsSeen: a supervisor barges into a call with
// their camera; the kiosk and the agent console each show an extra tile
// with the supervisor's picture and name, and it goes when they go back to
// watching.
func TestBrowserBargingSupervisorIsSeen(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	agent, kiosk := browserCall(t, browser, n)
	kiosk.videoPlaying("#remote-video")
	callID := evalJS[string](agent.tab, `window.cloudWindow.call.data?.call_id ?? ''`)
	if callID == "" {
		t.Fatal("the console shows no call id")
	}

	sv := dial(t, n, "supervisor1")
	watch, err := sv.Watch(ctxT(t), callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	request(t, sv, "call.supervise", map[string]string{"call_id": callID, "mode": "barge"})
	watch.Close()
	m, err := sv.StartMedia(ctxT(t), callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("supervisor media: %v", err)
	}
	t.Cleanup(m.Close)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { stop(); <-done })
	c := loadClip(t)
	go func() { // the supervisor's camera, until the test ends
		defer close(done)
		for ctx.Err() == nil {
			c.send(m)
		}
	}()

	tile := `#other-tiles .other-tile[data-party="supervisor"]`
	for _, p := range []*tab{kiosk.tab, agent.tab} {
		p.waitJS(fmt.Sprintf(`(() => { const t = document.querySelector(%q);
			return t && t.querySelector('figcaption').textContent === '张主任' && t.querySelector('video').videoWidth > 0; })()`, tile),
			"the supervisor's tile with picture and name")
	}
	if os.Getenv("CLOUDWINDOW_SCREENSHOTS") == "1" {
		kiosk.screenshot(filepath.Join(screenshotDir, "station-supervisor-barged.png"))
	}
	request(t, sv, "call.supervise", map[string]string{"call_id": callID, "mode": "watch"})
	for _, p := range []*tab{kiosk.tab, agent.tab} {
		p.waitJS(fmt.Sprintf(`document.querySelector(%q) === null`, tile), "the supervisor's tile to go")
	}
}
