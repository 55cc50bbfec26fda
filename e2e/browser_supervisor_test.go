package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pion/rtp"

	"cloudwindow/client"
	"cloudwindow/node"
)

// TestSupervisorWatchesALiveCallInTheConsole: a supervisor signed in to the
// console gets the supervisor view. The wallboard counts a resident who
// queues, the call shows in the live list once an agent takes it, 监看
// plays both parties' real video with sound, and when the agent hangs up
// the view says the call has ended.
func TestSupervisorWatchesALiveCallInTheConsole(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	sv := openSupervisor(t, browser, n, "supervisor1")
	if got := sv.text("#live-title"); got != "进行中的通话" {
		t.Errorf("supervisor view speaks %q, want Simplified Chinese by default", got)
	}
	if evalJS[bool](sv.tab, `!document.querySelector('#agent-state-bar').hidden`) {
		t.Error("a supervisor is shown the agent's state switch")
	}

	station, agent := dial(t, n, "island1"), dial(t, n, "agent1")
	sv.waitText("#wb-agent-not_ready", "1", "the signed-in agent on the wallboard")
	queued := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	sv.waitText("#wb-waiting", "1", "the waiting resident on the wallboard")

	ready(t, agent)
	reqID := field[string](t, queued, "request_id")
	next(t, agent, "call.offer")
	callID := field[string](t, request(t, agent, "call.accept", map[string]string{"request_id": reqID}), "call_id")
	next(t, station, "call.started")
	sv.waitText("#wb-waiting", "0", "the queue emptied")
	sv.waitText("#wb-agent-busy", "1", "the agent in a call")

	row := fmt.Sprintf(`#live-rows tr[data-call=%q]`, callID)
	sv.waitVisible(row)
	if got := sv.text(row); !strings.Contains(got, island1Name) || !strings.Contains(got, "海岛") || !strings.Contains(got, "王芳") {
		t.Errorf("live call row %q: want the station with its island badge and the agent", got)
	}

	sendClip(t, station, agent, callID)
	sv.click(row + ` button[data-action="watch"]`)
	sv.waitJS(`document.querySelector('#watch').dataset.state === 'live'`, "the watch to start")
	for view, video := range map[string]string{"station-main": "#watch-station-video", "agent-main": "#watch-agent-video"} {
		sv.waitJS(fmt.Sprintf(`window.cloudWindow.supervisor.watch.connection?.stream(%q) === document.querySelector(%q).srcObject`, view, video),
			view+" in its own tile")
		sv.videoPlaying(video)
		sv.framesDecoding(video)
	}
	sv.inboundAudioFromBoth()

	// 停止监看, then watch again: the second watch plays with sound too.
	sv.click("#watch-stop")
	sv.waitJS(`document.querySelector('#watch').dataset.state === 'idle'`, "the watch to stop")
	sv.click(row + ` button[data-action="watch"]`)
	sv.waitJS(`document.querySelector('#watch').dataset.state === 'live'`, "the second watch to start")
	sv.videoPlaying("#watch-station-video")
	sv.videoPlaying("#watch-agent-video")
	if !evalJS[bool](sv.tab, `!document.querySelector('#watch-station-video').muted && !document.querySelector('#watch-agent-video').muted`) {
		t.Error("the second watch plays muted")
	}

	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	sv.waitJS(`document.querySelector('#watch').dataset.state === 'ended'`, "the watch to end with the call")
	if got := sv.text("#watch-ended-title") + " " + sv.text("#watch-status"); !strings.Contains(got, "通话已结束") || !strings.Contains(got, "坐席挂断") {
		t.Errorf("watch panel after hang-up says %q, want that the agent ended the call", got)
	}
	sv.waitJS(fmt.Sprintf(`document.querySelector(%q) === null`, row), "the call to leave the live list")

	sv.click(`[data-lang="en"]`)
	if got := sv.text("#live-title"); got != "Calls in progress" {
		t.Errorf("English live list title %q", got)
	}
	// The review page opens signed in with the console's session.
	sv.do("open the recording review", chromedp.Click("#sv-review", chromedp.NodeVisible),
		chromedp.WaitVisible(`[data-screen="list"]`))
}

// TestSupervisorFollowsUpABadRatingInTheReview: the resident's bad rating
// (差评) shows in the recording list, highlighted, the list narrows to bad
// ratings, and the session page shows the score with the comment.
func TestSupervisorFollowsUpABadRatingInTheReview(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	callID := recordedCall(t, n, func(station, agent *client.Media) { sendSynthetic(25, station, agent) })
	unrated := recordedCall(t, n, func(station, agent *client.Media) { sendSynthetic(25, station, agent) })
	kiosk := dial(t, n, "station1")
	request(t, kiosk, "rating.submit", map[string]any{"call_id": callID, "score": 2, "comment": "等了很久才接通"})

	p := openReview(t, browser, n, "supervisor1")
	row := fmt.Sprintf(`#session-rows tr[data-call=%q]`, callID)
	p.waitVisible(row + " .rating-score.is-bad")
	if got := p.text(row + " .rating"); !strings.Contains(got, "2 分") || !strings.Contains(got, "差评") {
		t.Errorf("list shows the rating as %q, want 2 分 marked 差评", got)
	}
	if got := p.text(fmt.Sprintf(`#session-rows tr[data-call=%q] .rating`, unrated)); got != "未评价" {
		t.Errorf("unrated call's rating cell %q", got)
	}

	p.do("filter bad ratings", chromedp.SetValue("#f-rating", "bad"), chromedp.Click("#filter-apply", chromedp.NodeVisible))
	p.waitJS(fmt.Sprintf(`document.querySelector('#session-rows tr[data-call=%q]') === null`, unrated), "the unrated call filtered out")
	if got := evalJS[int](p.tab, `document.querySelectorAll('#session-rows tr').length`); got != 1 {
		t.Errorf("bad ratings list has %d rows, want 1", got)
	}

	p.click(row + " a")
	p.screen("session")
	if got := p.text("#s-rating"); !strings.Contains(got, "2 分") || !strings.Contains(got, "等了很久才接通") {
		t.Errorf("session page rating %q, want the score and the comment", got)
	}
	if !evalJS[bool](p.tab, `document.querySelector('#s-rating').classList.contains('is-bad')`) {
		t.Error("the bad rating is not highlighted on the session page")
	}
}

// supervisorView is the console of a supervisor or admin.
type supervisorView struct{ *tab }

func openSupervisor(t *testing.T, browser context.Context, n *node.Node, username string) supervisorView {
	t.Helper()
	p := openTab(t, browser, username, n.URL()+"/console/", 1920, 1080, "")
	p.screen("login")
	p.fill("#login-username", username)
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen("supervise")
	return supervisorView{p}
}

func (p supervisorView) waitText(sel, want, what string) {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.querySelector(%q).textContent === %q`, sel, want), what)
}

// framesDecoding waits until the video decodes new frames, not just shows
// one: the picture moves.
func (p supervisorView) framesDecoding(sel string) {
	p.t.Helper()
	frames := fmt.Sprintf(`document.querySelector(%q).getVideoPlaybackQuality().totalVideoFrames`, sel)
	start := evalJS[float64](p.tab, frames)
	p.waitJS(fmt.Sprintf(`%s > %f`, frames, start+5), sel+" decodes frames")
}

// inboundAudioFromBoth waits until the watch receives both parties' sound.
func (p supervisorView) inboundAudioFromBoth() {
	p.t.Helper()
	p.waitJS(`(async () => {
		const pc = window.cloudWindow.supervisor.watch.connection?.pc;
		if (!pc) return false;
		let flowing = 0;
		for (const s of (await pc.getStats()).values()) {
			if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.bytesReceived > 1000) flowing++;
		}
		return flowing === 2;
	})()`, "sound from the station and the agent")
}

// sendClip connects both parties' media and plays the real VP8 and Opus
// clip on each, in a loop, until the test ends.
func sendClip(t *testing.T, station, agent *client.Client, callID string) {
	t.Helper()
	c := loadClip(t)
	var media []*client.Media
	for _, party := range []*client.Client{station, agent} {
		m, err := party.StartMedia(ctxT(t), callID, client.MediaOptions{})
		if err != nil {
			t.Fatalf("start media: %v", err)
		}
		t.Cleanup(m.Close)
		waitConnected(t, m)
		media = append(media, m)
	}
	// Registered last, so the senders stop before their media close.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	for _, m := range media {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.loop(ctx, m)
		}()
	}
}

// loop plays the clip over and over with running sequence numbers and
// timestamps, as one endless camera and microphone would (and document
// camera, if m has one), until ctx ends.
func (c clip) loop(ctx context.Context, m *client.Media) {
	tick := time.NewTicker(clipAudioPeriod)
	defer tick.Stop()
	frameEvery := time.Second / clipFPS
	var vseq uint16
	frame := 0
	for k := 0; ; k++ {
		m.Tracks["audio"].WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111,
			SequenceNumber: uint16(k), Timestamp: uint32(k * 960), Marker: true}, Payload: c.audio[k%len(c.audio)]})
		for ; time.Duration(frame)*frameEvery <= time.Duration(k)*clipAudioPeriod; frame++ {
			payloads := c.frames[frame%len(c.frames)]
			for i, payload := range payloads {
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: vseq,
					Timestamp: uint32(frame * 90000 / clipFPS), Marker: i == len(payloads)-1}, Payload: payload}
				for _, source := range []string{"camera", "document"} {
					if tr := m.Tracks[source]; tr != nil {
						tr.WriteRTP(pkt)
					}
				}
				vseq++
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
