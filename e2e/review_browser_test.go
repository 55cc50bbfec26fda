package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"

	"cloudwindow/audit"
	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/recordings"
)

// clip is testdata's real VP8 and Opus, cut the way a browser sends them.
type clip struct {
	frames [][][]byte // each video frame's RTP payloads
	audio  [][]byte   // 20 ms Opus packets
}

const (
	clipFPS         = 15
	clipMaxRTP      = 1200
	clipAudioPeriod = 20 * time.Millisecond
)

func loadClip(t *testing.T) clip {
	t.Helper()
	var c clip
	f, err := os.Open("testdata/clip.ivf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ivf, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatalf("read clip.ivf: %v", err)
	}
	var vp8 codecs.VP8Payloader
	for {
		frame, _, err := ivf.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read clip.ivf: %v", err)
		}
		c.frames = append(c.frames, vp8.Payload(clipMaxRTP, frame))
	}
	c.audio = loadOpus(t, "testdata/clip.ogg")
	return c
}

func loadOpus(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ogg, _, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var out [][]byte
	for {
		page, hdr, err := ogg.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if _, isHeader := hdr.HeaderType(page); !isHeader && len(page) > 0 {
			out = append(out, page)
		}
	}
}

// send plays the clip once on every published track of m, in real time:
// video on the cameras, audio on the microphone.
func (c clip) send(m *client.Media) {
	var vseq, aseq uint16
	tick := time.NewTicker(clipAudioPeriod)
	defer tick.Stop()
	frameEvery := time.Second / clipFPS
	next := 0
	for k := range c.audio {
		elapsed := time.Duration(k) * clipAudioPeriod
		m.Tracks["audio"].WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111,
			SequenceNumber: aseq, Timestamp: uint32(k * 960), Marker: true}, Payload: c.audio[k]})
		aseq++
		for ; next < len(c.frames) && time.Duration(next)*frameEvery <= elapsed; next++ {
			for i, payload := range c.frames[next] {
				pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: vseq,
					Timestamp: uint32(next * 90000 / clipFPS), Marker: i == len(c.frames[next])-1}, Payload: payload}
				for _, source := range []string{"camera", "document"} {
					if tr := m.Tracks[source]; tr != nil {
						tr.WriteRTP(pkt)
					}
				}
				vseq++
			}
		}
		<-tick.C
	}
}

// agentLag starts the agent's media later than the station's, so the two
// files start at different times and the page must line them up.
const agentLag = time.Second

// TestReviewPagePlaysBothPartiesInStep records a call whose media is real
// VP8 and Opus, then has a supervisor review it in Chromium: both videos
// decode, play and stay in step across a seek; events and notes seek; a
// note and a legal hold are saved.
func TestReviewPagePlaysBothPartiesInStep(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	c := loadClip(t)
	callID := recordedCall(t, n, func(station, agent *client.Media) {
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			c.send(station)
		}()
		go func() {
			defer wg.Done()
			time.Sleep(agentLag)
			c.send(agent)
		}()
		wg.Wait()
	})

	p := openReview(t, browser, n, "supervisor1")
	if got := p.text("#events-title"); got != "事件时间轴" {
		t.Errorf("page speaks %q, want Simplified Chinese by default", got)
	}
	p.click(fmt.Sprintf(`#session-rows tr[data-call=%q] a`, callID))
	p.screen("session")
	p.waitVisible(`.lane[data-party="station-document"]`)
	p.waitJS(`document.querySelector('#video-station').readyState >= 2 && document.querySelector('#video-agent').readyState >= 2`,
		"both videos loaded")

	p.click("#play")
	p.waitJS(`window.cloudWindowReview.page.player.time > 0.5`, "the player to run")
	p.click("#seek") // the middle of the bar
	mid := evalJS[float64](p.tab, `window.cloudWindowReview.page.player.duration / 2`)
	p.waitJS(fmt.Sprintf(`Math.abs(window.cloudWindowReview.page.player.time - %f) < 1`, mid), "the seek to the middle")
	p.checkInStep(mid)

	p.click("#play") // pause
	p.fill("#note-text", "居民出示证件时画面不清楚")
	at := evalJS[float64](p.tab, `window.cloudWindowReview.page.player.time`)
	p.click("#note-add")
	p.waitJS(`document.querySelector('#notes .note') !== null`, "the note in the list")
	p.click(`#events li[data-type="hangup"] button`)
	p.waitJS(fmt.Sprintf(`window.cloudWindowReview.page.player.time > %f`, at+1), "the hang-up event to seek")
	p.click("#notes .note")
	p.waitJS(fmt.Sprintf(`Math.abs(window.cloudWindowReview.page.player.time - %f) < 0.2`, at), "the note to seek back")

	p.click(".hold-switch")
	p.waitJS(`document.querySelector('#hold-info').textContent.includes('supervisor1')`, "the hold confirmed")
	d, err := n.Recorder.Session(context.Background(), callID)
	if err != nil || !d.LegalHold || len(d.Notes) != 1 || math.Abs(float64(d.Notes[0].AtMs)/1000-at) > 0.2 {
		t.Errorf("saved session: hold %v, notes %+v (note made at %.2f s), %v", d.LegalHold, d.Notes, at, err)
	}

	checkTicketPlaysAudited(t, n, callID)

	p.click(`[data-lang="en"]`)
	if got := p.text("#events-title"); got != "Timeline" {
		t.Errorf("English page title %q", got)
	}
}

// checkTicketPlaysAudited: the videos played from play tickets, and each
// request for media is in the audit log under the supervisor.
func checkTicketPlaysAudited(t *testing.T, n *node.Node, callID string) {
	t.Helper()
	entries, err := n.Audit.List(context.Background(), audit.Filter{ObjectType: "recording", ObjectID: callID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range entries {
		if e.Action != recordings.ActionPlay {
			continue
		}
		if e.ActorName != "supervisor1" || !strings.Contains(e.Detail, "ticket") {
			t.Errorf("play audited as %s, %q: want supervisor1 with a ticket", e.ActorName, e.Detail)
		}
		files[strings.Fields(e.Detail)[0]] = true
	}
	if len(files) != 3 {
		t.Errorf("plays of %d files audited, want the 3 the page showed", len(files))
	}
}

// review is the review page of one supervisor.
type review struct{ *tab }

func openReview(t *testing.T, browser context.Context, n *node.Node, username string) review {
	t.Helper()
	p := openTab(t, browser, username, n.URL()+"/console/review.html", 1600, 1000, "")
	p.screen("login")
	p.fill("#login-username", username)
	p.fill("#login-password", "demo")
	p.click("#login-submit")
	p.screen("list")
	return review{p}
}

// laneState is what a viewer sees of one video: where it is on the call's
// clock, and whether it shows pictures.
type laneState struct {
	At      float64 `json:"at"`
	Current float64 `json:"current"`
	Width   int     `json:"width"`
	Paused  bool    `json:"paused"`
	Seeking bool    `json:"seeking"`
}

type playerState struct {
	Master  float64   `json:"master"`
	Station laneState `json:"station"`
	Agent   laneState `json:"agent"`
}

const playerStateJS = `(() => {
	const lane = (id) => {
		const v = document.getElementById(id);
		return {at: v.currentTime + Number(v.dataset.offset), current: v.currentTime, width: v.videoWidth,
			paused: v.paused, seeking: v.seeking};
	};
	return {master: window.cloudWindowReview.page.player.time, station: lane('video-station'), agent: lane('video-agent')};
})()`

// checkInStep waits until both videos play on after a seek to about mid,
// then checks they show the same moment of the call.
func (p review) checkInStep(mid float64) {
	p.t.Helper()
	start := evalJS[playerState](p.tab, playerStateJS)
	p.waitJS(fmt.Sprintf(`(() => {
		const s = document.getElementById('video-station'), a = document.getElementById('video-agent');
		return !s.seeking && !a.seeking && s.currentTime > %f && a.currentTime > %f;
	})()`, start.Station.Current+0.5, start.Agent.Current+0.5), "both videos to advance")
	s := evalJS[playerState](p.tab, playerStateJS)
	for name, l := range map[string]laneState{"station": s.Station, "agent": s.Agent} {
		if l.Width == 0 || l.Paused {
			p.t.Errorf("%s video: width %d, paused %v: not showing pictures", name, l.Width, l.Paused)
		}
		if math.Abs(l.At-s.Master) > 0.2 {
			p.t.Errorf("%s video at %.2f s of the call, player at %.2f s", name, l.At, s.Master)
		}
	}
	if d := math.Abs(s.Station.At - s.Agent.At); d > 0.2 {
		p.t.Errorf("station at %.2f s, agent at %.2f s of the call: %.2f s apart", s.Station.At, s.Agent.At, d)
	}
	if math.Abs(s.Station.Current-s.Agent.Current) < agentLag.Seconds()/2 {
		p.t.Errorf("station file at %.2f s, agent file at %.2f s: the agent's later start was not taken into account",
			s.Station.Current, s.Agent.Current)
	}
	if s.Master < mid-1 {
		p.t.Errorf("player at %.2f s after seeking to %.2f s", s.Master, mid)
	}
}
