package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"

	"cloudwindow/audit"
	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/recordings"
)

// recordedCall runs a call from station1 (with a document camera) to
// agent1, lets send drive both parties' media once they are connected,
// hangs up and waits until the recording is finished and indexed.
func recordedCall(t *testing.T, n *node.Node, send func(station, agent *client.Media)) string {
	t.Helper()
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{Document: true})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	t.Cleanup(sm.Close)
	am, err := agent.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("agent media: %v", err)
	}
	t.Cleanup(am.Close)
	waitConnected(t, sm, am)
	send(sm, am)

	request(t, station, "call.hangup", map[string]string{"call_id": callID})
	next(t, agent, "call.ended")
	if err := n.Recorder.Wait(ctx, callID); err != nil {
		t.Fatalf("recording never finished: %v", err)
	}
	return callID
}

func waitConnected(t *testing.T, ms ...*client.Media) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for _, m := range ms {
		for !m.Connected() {
			if time.Now().After(deadline) {
				t.Fatalf("media not connected: %s", m.State())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// sendSynthetic paces frames 0…count-1 on every media, as a camera would:
// frame i goes at start + i×FrameInterval, and a sender held up by a busy
// machine catches up instead of stretching the media's wall-clock length
// beyond what its timestamps say (a ticker would drop the missed ticks).
func sendSynthetic(count uint32, ms ...*client.Media) {
	start := time.Now()
	for i := uint32(0); i < count; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * client.FrameInterval)))
		for _, m := range ms {
			m.SendSynthetic(i)
		}
	}
	time.Sleep(client.FrameInterval)
}

func TestCallRecordingIsCompleteSeekableAndOnlyForSupervisors(t *testing.T) {
	n := startNode(t, nil)
	const frames = 150 // 3 s
	callID := recordedCall(t, n, func(station, agent *client.Media) { sendSynthetic(frames, station, agent) })
	super := token(t, n, "supervisor1")

	var page recordings.Page
	if code := api(t, n, "GET", "/api/v1/recordings?status=finished&station="+stationID(t, n, "station1"), super, nil, &page); code != 200 {
		t.Fatalf("list = %d", code)
	}
	if len(page.Sessions) != 1 || page.Sessions[0].CallID != callID || page.Sessions[0].StationName != station1Name {
		t.Fatalf("supervisor's list = %+v, want the one call", page.Sessions)
	}
	var d recordings.SessionDetail
	if code := api(t, n, "GET", "/api/v1/recordings/"+callID, super, nil, &d); code != 200 {
		t.Fatalf("session page = %d", code)
	}
	parties := map[string]recordings.File{}
	for _, f := range d.Files {
		parties[f.Party] = f
	}
	for _, want := range []string{"station", "agent", "station-document"} {
		f, ok := parties[want]
		if !ok || f.Status != recordings.StatusFinished {
			t.Fatalf("files %+v: no finished %s file", d.Files, want)
		}
		resp, body := httpGet(t, n.URL()+"/api/v1/recordings/"+callID+"/files/"+f.ID, super)
		if resp.StatusCode != 200 || int64(len(body)) != f.SizeBytes {
			t.Fatalf("%s media = %d, %d bytes of %d", want, resp.StatusCode, len(body), f.SizeBytes)
		}
		t.Run(want, func(t *testing.T) { checkRecordingFile(t, body, f, want != "station-document") })
	}
	checkOnlySupervisors(t, n, callID, d.Files[0].ID)
	checkAudited(t, n, callID, 1+len(d.Files))
}

// checkRecordingFile checks a file as a player needs it: Cues and a
// Duration, the tracks, a length true to the media sent, and audio in step
// with video. Synthetic payloads carry their frame number, so each frame's
// place in the file can be compared with the time it was captured.
func checkRecordingFile(t *testing.T, raw []byte, f recordings.File, withAudio bool) {
	seg := parseWebM(t, raw)
	if seg.Cues == nil || len(seg.Cues.CuePoint) == 0 {
		t.Errorf("no Cues: a browser could not seek")
	}
	if seg.Info.Duration <= 0 {
		t.Fatalf("no Duration")
	}
	frames := framesByTrack(t, seg)
	video, audio := frames["V_VP8"], frames["A_OPUS"]
	if len(video) == 0 || (withAudio && len(audio) == 0) {
		t.Fatalf("tracks in file: %d video, %d audio frames (tracks %s)", len(video), len(audio), f.Tracks)
	}
	first, last := frameSpan(video, audio)
	media := float64(last-first+1) * float64(client.FrameInterval.Milliseconds())
	if media < 2000 {
		t.Errorf("file holds %.0f ms of the 3 s sent", media)
	}
	if dev := math.Abs(seg.Info.Duration-media) / media; dev > 0.05 {
		t.Errorf("Duration %.0f ms, media %.0f ms: off by %.1f%%", seg.Info.Duration, media, dev*100)
	}
	if math.Abs(float64(f.DurationMs)-seg.Info.Duration) > 100 {
		t.Errorf("index says %d ms, file %.0f ms", f.DurationMs, seg.Info.Duration)
	}
	if withAudio {
		worst := time.Duration(0)
		for n, at := range video {
			if a, ok := audio[n]; ok {
				worst = max(worst, (at - a).Abs())
			}
		}
		if worst >= 100*time.Millisecond {
			t.Errorf("audio and video of the same capture instant are up to %v apart", worst)
		}
	}
}

func parseWebM(t *testing.T, raw []byte) webm.Segment {
	t.Helper()
	var doc struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	if err := ebml.Unmarshal(bytes.NewReader(raw), &doc); err != nil {
		t.Fatalf("parse WebM: %v", err)
	}
	if doc.Header.DocType != "webm" {
		t.Errorf("DocType %q, want webm", doc.Header.DocType)
	}
	return doc.Segment
}

// framesByTrack maps each track's codec to its frames' times by the frame
// number their synthetic payload carries.
func framesByTrack(t *testing.T, seg webm.Segment) map[string]map[uint32]time.Duration {
	codecs := map[uint64]string{}
	for _, e := range seg.Tracks.TrackEntry {
		codecs[e.TrackNumber] = e.CodecID
	}
	out := map[string]map[uint32]time.Duration{}
	for _, c := range seg.Cluster {
		for _, b := range c.SimpleBlock {
			codec := codecs[b.TrackNumber]
			n, ok := frameNumber(codec, b.Data[0])
			if !ok {
				t.Fatalf("%s frame without a number: % x", codec, b.Data[0])
			}
			if out[codec] == nil {
				out[codec] = map[uint32]time.Duration{}
			}
			out[codec][n] = time.Duration(int64(c.Timecode)+int64(b.Timecode)) * time.Millisecond
		}
	}
	return out
}

// frameNumber reads the number client.VP8Payload or client.OpusPayload put
// in a frame; in the file VP8 frames have lost their RTP descriptor byte.
func frameNumber(codec string, frame []byte) (uint32, bool) {
	off := 3
	if codec == "V_VP8" && len(frame) > 0 && frame[0]&0x01 == 0 {
		off = 10 // after the keyframe header
	}
	if len(frame) < off+4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(frame[off:]), true
}

func frameSpan(tracks ...map[uint32]time.Duration) (first, last uint32) {
	first = math.MaxUint32
	for _, frames := range tracks {
		for n := range frames {
			first, last = min(first, n), max(last, n)
		}
	}
	return first, last
}

// checkOnlySupervisors: agents and stations are refused every recording
// endpoint, anonymous requests are asked to sign in.
func checkOnlySupervisors(t *testing.T, n *node.Node, callID, fileID string) {
	t.Helper()
	paths := []string{
		"/api/v1/recordings",
		"/api/v1/recordings/" + callID,
		"/api/v1/recordings/" + callID + "/files/" + fileID,
	}
	for _, who := range []struct{ user, token string }{
		{"agent1", token(t, n, "agent1")}, {"station1", token(t, n, "station1")}, {"anonymous", ""},
	} {
		want := http.StatusForbidden
		if who.token == "" {
			want = http.StatusUnauthorized
		}
		for _, p := range paths {
			if resp, _ := httpGet(t, n.URL()+p, who.token); resp.StatusCode != want {
				t.Errorf("%s GET %s = %d, want %d", who.user, p, resp.StatusCode, want)
			}
		}
		if code := api(t, n, "POST", "/api/v1/recordings/"+callID+"/files/"+fileID+"/ticket", who.token, nil, nil); code != want {
			t.Errorf("%s asks for a play ticket: %d, want %d", who.user, code, want)
		}
	}
}

// checkAudited: the supervisor's page view and every file played are in
// the audit log, under the supervisor's name, and nothing else is.
func checkAudited(t *testing.T, n *node.Node, callID string, accesses int) {
	t.Helper()
	entries, err := n.Audit.List(context.Background(), audit.Filter{ObjectType: "recording", ObjectID: callID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, fmt.Sprintf("%s by %s (%s)", e.Action, e.ActorName, e.ActorRole))
		if e.ActorName != "supervisor1" {
			t.Errorf("audited access by %s: only supervisor1 was let in", e.ActorName)
		}
	}
	if len(entries) != accesses {
		t.Errorf("audit log has %d entries, want %d:\n%s", len(entries), accesses, strings.Join(got, "\n"))
	}
}

// stationID is the account id of a station, which the list filters on.
func stationID(t *testing.T, n *node.Node, username string) string {
	t.Helper()
	a, err := n.Auth.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}
