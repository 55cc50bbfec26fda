package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
	"cloudwindow/recordings"
)

// TestBrowserCallNegotiatesRED runs a kiosk and console call in Chromium,
// which offers redundant audio (audio/red): the node puts RED first, so both
// browsers send RED and get the other's RED as it came (the node counts
// both), the audio is heard at both ends, and the recording holds the Opus
// frames RED carries.
func TestBrowserCallNegotiatesRED(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, browserNode)
	agent, kiosk := browserCall(t, browser, n)
	callID := evalJS[string](agent.tab, `window.cloudWindow.call.data.call_id`)

	for _, p := range []*tab{kiosk.tab, agent.tab} {
		p.waitJS(redLeadsEveryAudioSection, "audio/red first in every audio m-section from the node")
	}
	before := n.SFU.Room(callID).Stats()
	mediaKeepsFlowing(t, 3, kiosk.tab, agent.tab)
	for _, p := range []*tab{kiosk.tab, agent.tab} {
		heard := evalJS[float64](p, inboundAudioEnergy)
		p.waitAsync(fmt.Sprintf(`(async () => (await %s) > %g)()`, inboundAudioEnergy, heard), "the other side's voice (decoded audio energy grows)")
	}
	after := n.SFU.Room(callID).Stats()
	for id, p := range after.Peers {
		if p.REDPublished <= before.Peers[id].REDPublished || p.REDForwarded <= before.Peers[id].REDForwarded {
			t.Errorf("%s's audio is not RED both ways: RED packets published %d → %d, forwarded to it %d → %d",
				p.Party, before.Peers[id].REDPublished, p.REDPublished, before.Peers[id].REDForwarded, p.REDForwarded)
		}
	}
	endAndRecord(t, n, kiosk, agent, callID, "done")
	checkRecordedOpus(t, n, callID)
}

// redLeadsEveryAudioSection is true when there are audio m-sections in the
// node's latest description to the page and each lists audio/red first: a browser sends
// with the first codec, and getStats names only the Opus inside RED.
const redLeadsEveryAudioSection = `(() => {
	const sdp = window.cloudWindow.call.connection?.pc.currentRemoteDescription?.sdp ?? '';
	const sections = sdp.split('\r\nm=').slice(1).filter((m) => m.startsWith('audio'));
	return sections.length > 0 && sections.every((m) => {
		const first = m.split('\r\n')[0].split(' ')[3];
		return new RegExp('a=rtpmap:' + first + ' red/48000', 'i').test(m);
	});
})()`

// inboundAudioEnergy is the energy of the audio the call has decoded so far.
const inboundAudioEnergy = `(async () => {
	let e = 0;
	for (const s of (await window.cloudWindow.call.connection.pc.getStats()).values()) {
		if (s.type === 'inbound-rtp' && s.kind === 'audio') e += s.totalAudioEnergy ?? 0;
	}
	return e;
})()`

// waitAsync polls an expression that gives a promise of a boolean until it
// is true.
func (p *tab) waitAsync(expr, what string) {
	p.t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !evalJS[bool](p, expr) {
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: waiting for %s (%s)", p.name, what, expr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkRecordedOpus has ffprobe find an Opus stream in each party's
// recording and ffmpeg decode it without errors.
func checkRecordedOpus(t *testing.T, n *node.Node, callID string) {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Log("ffmpeg not installed: recordings not decoded")
		return
	}
	super := token(t, n, "supervisor1")
	var d recordings.SessionDetail
	if code := api(t, n, "GET", "/api/v1/recordings/"+callID, super, nil, &d); code != 200 {
		t.Fatalf("recording of %s: %d", callID, code)
	}
	withOpus := map[string]bool{}
	for _, f := range d.Files {
		_, body := httpGet(t, n.URL()+"/api/v1/recordings/"+callID+"/files/"+f.ID, super)
		path := filepath.Join(t.TempDir(), f.Party+".webm")
		if err := os.WriteFile(path, body, 0o600); err != nil {
			t.Fatal(err)
		}
		codecs := runFF(t, strings.TrimSuffix(ffmpeg, "ffmpeg")+"ffprobe", "-v", "error",
			"-select_streams", "a", "-show_entries", "stream=codec_name", "-of", "csv=p=0", path)
		if strings.TrimSpace(codecs) != "opus" {
			continue
		}
		withOpus[f.Party] = true
		if msg := runFF(t, ffmpeg, "-v", "error", "-i", path, "-map", "0:a", "-f", "null", "-"); msg != "" {
			t.Errorf("%s: ffmpeg reports errors decoding the recorded audio:\n%s", f.Party, msg)
		}
	}
	for _, party := range []string{"station", "agent"} {
		if !withOpus[party] {
			t.Errorf("no recording of the %s's audio as Opus among %d files", party, len(d.Files))
		}
	}
}
