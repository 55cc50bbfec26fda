package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"cloudwindow/webclient"
)

// negotiationPage drives the shared CallConnection against a scripted
// "server" (a second RTCPeerConnection in the page) that crosses the
// client's offer with its own, in the two orders a real server can produce.
const negotiationPage = `<!doctype html>
<meta charset="utf-8">
<script type="module">
import { CallConnection } from '/lib/call.js';

class FakeSignaling {
  isOpen = true;
  welcome = { ice_servers: [] };
  handlers = new Map();
  onRequest = null;
  on(type, fn) {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type).add(fn);
    return () => this.handlers.get(type).delete(fn);
  }
  emit(type, data) {
    for (const fn of this.handlers.get(type) ?? []) fn(data);
  }
  send() {
    return true;
  }
  callLive() {}
  request(type, data) {
    return this.onRequest(type, data);
  }
}

const withVersion = (sdp, v) => sdp.replace(/^(o=\S+ \S+ )\d+/m, '$1' + v);

function canvasTrack() {
  const canvas = document.createElement('canvas');
  canvas.getContext('2d').fillRect(0, 0, 10, 10);
  return canvas.captureStream(5).getVideoTracks()[0];
}

// run plays one collision. late: the server's next offer was made after its
// answer to ours but reaches us first. Otherwise a stale server offer, made
// before ours arrived there, crosses ours and is withdrawn.
window.runCollision = async (late) => {
  const sig = new FakeSignaling();
  const server = new RTCPeerConnection();
  let pending = null;
  const answers = [];
  sig.onRequest = async (type, data) => {
    if (type === 'rtc.answer') {
      answers.push(data.sdp);
      await server.setLocalDescription(pending);
      await server.setRemoteDescription({ type: 'answer', sdp: data.sdp });
      return { type: 'ok', data: {} };
    }
    if (!late) {
      server.addTransceiver('audio');
      const stale = await server.createOffer();
      sig.emit('rtc.offer', { call_id: 'c1', sdp: withVersion(stale.sdp, 10) });
    }
    await server.setRemoteDescription({ type: 'offer', sdp: data.sdp });
    await server.setLocalDescription(await server.createAnswer());
    const answer = withVersion(server.localDescription.sdp, 20);
    if (late) {
      server.addTransceiver(canvasTrack(), { direction: 'sendonly' });
      pending = await server.createOffer();
      sig.emit('rtc.offer', { call_id: 'c1', sdp: withVersion(pending.sdp, 30) });
    }
    return { type: 'rtc.answer', data: { sdp: answer } };
  };
  const track = canvasTrack();
  const conn = new CallConnection({
    signaling: sig, callId: 'c1', local: [{ track, stream: new MediaStream([track]), source: 'camera' }],
  });
  const settled = () => conn.pc.signalingState === 'stable' && server.signalingState === 'stable' &&
    conn.pc.remoteDescription !== null && (!late || answers.length > 0);
  for (let i = 0; i < 100 && !settled(); i++) await new Promise((r) => setTimeout(r, 50));
  const receiving = conn.pc.getTransceivers().filter((t) => t.currentDirection === 'recvonly').length;
  const result = { settled: settled(), answers: answers.length, receiving };
  conn.close();
  server.close();
  return JSON.stringify(result);
};
window.ready = true;
</script>`

// testBrowserNegotiation checks the client's side of offer collisions with
// the server: a server offer withdrawn in favour of ours is never answered,
// and one made after the server answered ours is answered even when it
// overtakes that answer.
func testBrowserNegotiation(t *testing.T, browser context.Context) {
	mux := http.NewServeMux()
	mux.Handle("GET /lib/", http.StripPrefix("/lib/", http.FileServerFS(webclient.Files)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, negotiationPage)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p := openTab(t, browser, "negotiation", srv.URL+"/", 800, 600, "")
	p.waitJS(`window.ready === true`, "the test page")

	for _, tc := range []struct {
		name          string
		late          bool
		wantAnswers   int
		wantReceiving int
	}{
		{"stale server offer crossing ours is ignored", false, 0, 0},
		{"server offer made after its answer is answered", true, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := evalJS[string](p, fmt.Sprintf("runCollision(%t)", tc.late))
			want := fmt.Sprintf(`{"settled":true,"answers":%d,"receiving":%d}`, tc.wantAnswers, tc.wantReceiving)
			if got != want {
				t.Errorf("after the collision: %s, want %s", got, want)
			}
		})
	}
}
