package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/recordings"
)

// breakRecordings makes the recordings directory unusable (a file where
// the directory was), as a lost or read-only volume would; the returned
// func mends it.
func breakRecordings(t *testing.T, dataDir string) (mend func()) {
	t.Helper()
	dir := filepath.Join(dataDir, "recordings")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAgentAndWallboardAreToldWhenACallIsNotRecorded(t *testing.T) {
	dataDir := t.TempDir()
	n := startNode(t, func(c *node.Config) { c.DataDir, c.RecordingRetry = dataDir, 200*time.Millisecond })
	mend := breakRecordings(t, dataDir)
	station, agent, supervisor := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "supervisor1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))

	// Told at once, before any media: the call goes on unrecorded.
	for _, c := range []*client.Client{agent, supervisor} {
		m := next(t, c, "recording.status")
		if field[string](t, m, "call_id") != callID || field[bool](t, m, "recording") || field[string](t, m, "code") != recordings.FailureWrite {
			t.Fatalf("recording.status = %s, want not recording (write_failed) for call %s", m.Data, callID)
		}
		if strings.Contains(string(m.Data), dataDir) {
			t.Errorf("recording.status shows a server path: %s", m.Data)
		}
	}

	// An agent who reloads the console is told again.
	agent = dial(t, n, "agent1")
	if m := next(t, agent, "recording.status"); field[bool](t, m, "recording") || field[string](t, m, "call_id") != callID {
		t.Fatalf("after a reload: %s, want the call still not recorded", m.Data)
	}

	// Media flows; the recorder fails to open files until the volume is
	// back, then records into a new part and says so.
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	t.Cleanup(sm.Close)
	waitConnected(t, sm)
	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		tick := time.NewTicker(client.FrameInterval)
		defer tick.Stop()
		for i := uint32(0); i < 500; i++ { // at most 10 s
			select {
			case <-stop:
				return
			case <-tick.C:
				sm.SendSynthetic(i)
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-sent })
	waitMetric(t, n, "cloudwindow_recordings_failed_total 1")
	mend()
	for _, c := range []*client.Client{agent, supervisor} {
		if m := next(t, c, "recording.status"); !field[bool](t, m, "recording") {
			t.Fatalf("after the volume came back: %s, want recording again", m.Data)
		}
	}
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	if err := n.Recorder.Wait(ctx, callID); err != nil {
		t.Fatal(err)
	}
	s, err := n.Recorder.Session(ctx, callID)
	if err != nil || len(s.Files) == 0 || s.Files[len(s.Files)-1].Status != recordings.StatusFinished {
		t.Fatalf("recording after the volume came back: %+v %v, want a finished part", s.Files, err)
	}
	if s.Error != recordings.FailureWrite {
		t.Errorf("recording error = %q, want the code %q", s.Error, recordings.FailureWrite)
	}
}

func TestRequireRecordingRefusesCallsThatCannotBeRecorded(t *testing.T) {
	dataDir := t.TempDir()
	n := startNode(t, func(c *node.Config) { c.DataDir, c.RequireRecording = dataDir, true })
	breakRecordings(t, dataDir)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	queued := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, queued, "request_id")
	next(t, agent, "call.offer")
	_, err := agent.Request(ctxT(t), "call.accept", map[string]string{"request_id": reqID})
	var perr *client.Error
	if !errors.As(err, &perr) || perr.Code != "recording_unavailable" {
		t.Fatalf("accepting a call that can't be recorded: %v, want recording_unavailable", err)
	}
	if reason := field[string](t, next(t, station, "call.ended"), "reason"); reason != "failed" {
		t.Errorf("station told %q, want failed", reason)
	}
	if live, _ := n.Calls.Live(ctxT(t), time.Hour); len(live) != 0 {
		t.Errorf("live calls after the refusal: %+v", live)
	}
}

// waitMetric waits until /metrics has a line starting with line.
func waitMetric(t *testing.T, n *node.Node, line string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body := httpGet(t, n.URL()+"/metrics", "")
		for _, l := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(l, line) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics never showed %q", line)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
