package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"cloudwindow/linkemu"
	"cloudwindow/node"
)

// redSetting is one way of sending audio over island-bad: the browsers' field
// trials and the node's redundancy.
type redSetting struct {
	name        string
	fieldTrials string
	redundancy  int
}

var redSettings = []redSetting{
	{"before: Chromium's default RED, node passes it through", "", 0},
	{"the kiosks' Chromium RED, node passes it through", kioskFieldTrials, 0},
	{"after: the kiosks' Chromium RED, node's redundancy up to 3", kioskFieldTrials, 3},
}

// TestBrowserIslandRedundancyFigures measures audio concealment in Chromium on
// island-bad for each redSetting, alternating them round after round, for
// BENCHMARKS.md ("Audio redundancy on island-bad"). It runs only with
// CLOUDWINDOW_BROWSER_RED_FIGURES set to the number of rounds (about 4 min a
// round). It asserts nothing about the figures: they are measured.
//
// Both browsers' media cross the one link (see browserIslandRun), so the
// station hears the agent over two lossy hops. With
// CLOUDWINDOW_BROWSER_RED_DOWN_ONLY=1 only what the node sends is on
// island-bad, the uplinks stay clear: one lossy hop, as for an agent on a good
// link. The middle setting (Chromium's RED of 2 frames alone) runs only with
// CLOUDWINDOW_BROWSER_RED_ALL=1.
func TestBrowserIslandRedundancyFigures(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("CLOUDWINDOW_BROWSER_RED_FIGURES"))
	if rounds <= 0 {
		t.Skip("set CLOUDWINDOW_BROWSER_RED_FIGURES=<rounds> to measure Chromium's audio concealment on island-bad")
	}
	profile, settings := linkemu.Profiles["island-bad"], []redSetting{redSettings[0], redSettings[2]}
	if os.Getenv("CLOUDWINDOW_BROWSER_RED_DOWN_ONLY") == "1" {
		profile = islandBadDown()
	}
	if os.Getenv("CLOUDWINDOW_BROWSER_RED_ALL") == "1" {
		settings = redSettings
	}
	path := chromiumPath(t)
	station := make([][]float64, len(settings))
	var rows []string
	for round := 1; round <= rounds; round++ {
		for i, s := range settings {
			t.Run(fmt.Sprintf("round %d/%s", round, s.name), func(t *testing.T) {
				ctx, stop := launchChromium(t, path, t.TempDir(), chromedp.Flag("force-fieldtrials", s.fieldTrials))
				defer stop()
				row, atStation := browserRedRun(t, ctx, s, profile)
				station[i] = append(station[i], atStation)
				rows = append(rows, fmt.Sprintf("| %d | %s", round, row))
				t.Log(row)
			})
		}
	}
	t.Logf("\n| round | setting | concealed at station | concealed at agent | jitter buffer (station) | last loss the station reported (any track) | RED packets to station | CPU pressure |\n|---|---|---|---|---|---|---|---|\n%s",
		strings.Join(rows, "\n"))
	for i, s := range settings {
		t.Logf("%s: median concealment at the station %.2f %% of %d runs %v", s.name, median(station[i]), len(station[i]), station[i])
	}
}

// browserRedRun runs one kiosk and console call set up on a good link, then
// islandPhase on profile, and returns a table row and the station's
// concealment in per cent.
func browserRedRun(t *testing.T, browser context.Context, s redSetting, profile linkemu.Profile) (string, float64) {
	n, link, islandURL := islandNode(t, linkemu.Profiles["good"], true, browserNode, func(c *node.Config) { c.AudioRedundancy = s.redundancy })
	kiosk, agent, callID := islandBrowserCall(t, browser, browser, n, islandURL, nil)
	mediaKeepsFlowing(t, 2, kiosk.tab, agent.tab)
	time.Sleep(islandWarmup)

	link.SetProfile(profile)
	atStation0, atAgent0 := callStats(kiosk.tab), callStats(agent.tab)
	time.Sleep(islandPhase)
	atStation, atAgent := callStats(kiosk.tab).since(atStation0), callStats(agent.tab).since(atAgent0)
	st, _ := stationStats(n, callID)
	pressure := cpuPressure()
	link.SetProfile(linkemu.Profiles["good"])
	concealed := 0.0
	if atStation.Audio.Total > 0 {
		concealed = 100 * atStation.Audio.Concealed / atStation.Audio.Total
	}
	return fmt.Sprintf("| %s | %s | %s | %.0f ms | %.1f %% | %d | %s |", s.name, atStation.concealed(), atAgent.concealed(),
		atStation.jitterBufferMs(), 100*st.FractionLost, st.REDForwarded, pressure), concealed
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
