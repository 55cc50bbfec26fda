package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

// firefoxScriptDir holds the Node.js script that drives Firefox and its
// pinned puppeteer-core (scripts/test runs npm ci there).
const firefoxScriptDir = "firefox"

// TestFirefoxConsole has an agent work a call in Firefox ESR, as offices
// whose PCs run a Firefox-based browser do: video both ways, the scan, the
// form, wrap-up; a supervisor watches the call live, and then plays and
// seeks its recording, in Firefox too. The station is a Go client sending
// real VP8 and Opus.
func TestFirefoxConsole(t *testing.T) {
	firefox, nodeJS := firefoxTools(t)
	// The node stays on loopback, as in every test; console.mjs has Firefox
	// gather loopback candidates and checks that media flows over them.
	n := startNode(t, browserNode)
	station, stTok := dial(t, n, "station1"), token(t, n, "station1")

	ff := startFirefoxScript(t, nodeJS, firefox, n.URL())
	ff.waitStep(t, "ready") // the agent is signed in and 就绪
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	callID := field[string](t, ff.next(t, station, "call.started"), "call_id")
	sm, stopSending := stationSends(t, ff.ctx, station, callID)

	uploadScan(t, n, stTok, callID, scanPNG())
	signPushedForm(t, ff.ctx, n, station, stTok, "王建国")
	ff.next(t, station, "call.ended")
	stopSending()
	if got := sm.Received(); !receivedCamera(got) {
		t.Errorf("station received %v: no video from the agent's Firefox camera", got)
	}
	if err := n.Recorder.Wait(ff.ctx, callID); err != nil {
		t.Fatalf("recording never finished: %v", err)
	}
	ff.send(t, "recorded")
	ff.wait(t)

	rec, err := n.Calls.Get(context.Background(), callID)
	if err != nil || rec.Outcome != "forwarded" {
		t.Errorf("stored call after wrap-up in Firefox: %+v, %v", rec, err)
	}
}

// stationSends connects the station's media and plays the clip on its
// camera, document camera and microphone until stop is called.
func stationSends(t *testing.T, ctx context.Context, station *client.Client, callID string) (sm *client.Media, stop func()) {
	t.Helper()
	c := loadClip(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{Document: true})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	t.Cleanup(sm.Close)
	sendCtx, cancel := context.WithCancel(context.Background())
	var sending sync.WaitGroup
	stop = func() {
		cancel()
		sending.Wait()
	}
	t.Cleanup(stop) // before sm.Close: cleanups run last first
	sending.Add(1)
	go func() {
		defer sending.Done()
		c.loop(sendCtx, sm)
	}()
	return sm, stop
}

// receivedCamera tells whether the agent's camera reached the station.
func receivedCamera(received map[string]int) bool {
	for key, count := range received {
		if strings.HasPrefix(key, "agent-") && !strings.HasSuffix(key, "audio") && count > 50 {
			return true
		}
	}
	return false
}

// uploadScan sends png as the station's scan in the call, in one chunk.
func uploadScan(t *testing.T, n *node.Node, stTok, callID string, png []byte) {
	t.Helper()
	sum := sha256.Sum256(png)
	var up struct {
		UploadID string          `json:"upload_id"`
		Document *map[string]any `json:"document"`
	}
	if code := api(t, n, "POST", "/api/v1/uploads", stTok, map[string]any{"call_id": callID, "filename": "id.png",
		"size": len(png), "sha256": hex.EncodeToString(sum[:])}, &up); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("begin upload: %d %+v", code, up)
	}
	api(t, n, "PUT", "/api/v1/uploads/"+up.UploadID+"/chunks/0", stTok, png, &up)
	if up.Document == nil {
		t.Fatalf("upload not done after its only chunk: %+v", up)
	}
}

// signPushedForm waits for the form the agent pushes, checks it names the
// resident the agent typed in, and signs it.
func signPushedForm(t *testing.T, ctx context.Context, n *node.Node, station *client.Client, stTok, resident string) {
	t.Helper()
	pushed, err := station.Next(ctx, "form.pushed")
	if err != nil {
		t.Fatalf("station: %v", err)
	}
	var form struct {
		HTML   string `json:"html"`
		SHA256 string `json:"sha256"`
	}
	api(t, n, "GET", field[string](t, pushed, "url"), stTok, nil, &form)
	if !strings.Contains(form.HTML, resident) {
		t.Errorf("pushed form does not name %s, as typed in Firefox", resident)
	}
	sig := map[string]string{"png_base64": base64.StdEncoding.EncodeToString(scanPNG()), "content_sha256": form.SHA256}
	if code := api(t, n, "POST", "/api/v1/forms/"+field[string](t, pushed, "form_id")+"/signature", stTok, sig, nil); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("sign: %d", code)
	}
}

// firefoxTools finds Firefox ESR, Node.js and the script's node_modules, or
// skips the test (fails it with CLOUDWINDOW_REQUIRE_BROWSER=1, as in CI).
func firefoxTools(t *testing.T) (firefox, nodeJS string) {
	t.Helper()
	var missing []string
	for _, name := range []string{"firefox-esr", "firefox"} {
		if p, err := exec.LookPath(name); err == nil {
			firefox = p
			break
		}
	}
	if firefox == "" {
		missing = append(missing, "Firefox ESR (apt-get install firefox-esr)")
	}
	nodeJS, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "Node.js (apt-get install nodejs npm)")
	}
	if _, err := os.Stat(filepath.Join(firefoxScriptDir, "node_modules", "puppeteer-core")); err != nil {
		missing = append(missing, "puppeteer-core (cd e2e/firefox && PUPPETEER_SKIP_DOWNLOAD=1 npm ci)")
	}
	if len(missing) > 0 {
		msg := "Firefox test needs " + strings.Join(missing, ", ")
		if os.Getenv("CLOUDWINDOW_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " and CLOUDWINDOW_REQUIRE_BROWSER=1")
		}
		t.Skip("Firefox test skipped: " + msg)
	}
	return firefox, nodeJS
}

// firefoxScript is the running console.mjs. ctx ends when it exits, so
// waits on the station side stop at once when Firefox saw something wrong.
type firefoxScript struct {
	ctx   context.Context
	stdin io.WriteCloser
	done  chan struct{}
	err   error
	mu    sync.Mutex
	out   strings.Builder
}

const firefoxTimeout = 90 * time.Second

func startFirefoxScript(t *testing.T, nodeJS, firefox, url string) *firefoxScript {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), firefoxTimeout)
	cmd := exec.CommandContext(ctx, nodeJS, "console.mjs")
	cmd.Dir = firefoxScriptDir
	cmd.Env = append(os.Environ(), "CLOUDWINDOW_URL="+url, "FIREFOX="+firefox)
	// Firefox is the script's child: a timeout ends the whole process group,
	// so no browser outlives the test.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	f := &firefoxScript{stdin: stdin, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s console.mjs: %v", nodeJS, err)
	}
	scriptCtx, scriptDone := context.WithCancel(ctx)
	f.ctx = scriptCtx
	go func() {
		f.err = cmd.Wait()
		scriptDone()
		close(f.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-f.done
		if t.Failed() {
			t.Logf("Firefox script output:\n%s", f.output())
		}
	})
	return f
}

// Write collects the script's output (stdout and stderr) for the report.
func (f *firefoxScript) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(p)
}

func (f *firefoxScript) output() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.String()
}

// next waits for a message to the station while the script runs.
func (f *firefoxScript) next(t *testing.T, c *client.Client, types ...string) client.Message {
	t.Helper()
	m, err := c.Next(f.ctx, types...)
	if err != nil {
		t.Fatalf("station %v (the Firefox script ended or timed out: %v)", err, f.exitErr())
	}
	return m
}

func (f *firefoxScript) exitErr() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// waitStep waits until the script reports that it reached step.
func (f *firefoxScript) waitStep(t *testing.T, step string) {
	t.Helper()
	for !strings.Contains(f.output(), "step "+step+"\n") {
		select {
		case <-f.ctx.Done():
			t.Fatalf("Firefox script never reached %q (%v)", step, f.exitErr())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// send writes a line to the script's stdin.
func (f *firefoxScript) send(t *testing.T, line string) {
	t.Helper()
	if _, err := io.WriteString(f.stdin, line+"\n"); err != nil {
		t.Fatalf("tell the Firefox script %q: %v", line, err)
	}
}

// wait waits for the script to finish and fails the test unless every
// step passed.
func (f *firefoxScript) wait(t *testing.T) {
	t.Helper()
	<-f.done
	if f.err != nil {
		t.Fatalf("Firefox script: %v\n%s", f.err, f.output())
	}
	if !strings.Contains(f.output(), "step done") {
		t.Fatalf("Firefox script ended early:\n%s", f.output())
	}
}
