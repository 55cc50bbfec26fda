package e2e

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"cloudwindow/node"
)

func TestBrowserDebugDoc(t *testing.T) {
	browser := startBrowser(t)
	n := startNode(t, func(c *node.Config) {
		browserNode(c)
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	agent.ready()
	kiosk := openStation(t, browser, n, "station1", 1280, 720, "")
	kiosk.request("medical_insurance", item, "")
	agent.offerFrom(station1Name)
	agent.click("#offer-accept")
	agent.screen("call")
	kiosk.screen("call")
	kiosk.videoPlaying("#remote-video")
	agent.videoPlaying("#station-video")
	time.Sleep(5 * time.Second)
	t.Log("station pip hidden:", evalJS[bool](kiosk.tab, `document.querySelector('#document-pip').hidden`))
	t.Log("station senders:", evalJS[string](kiosk.tab, `JSON.stringify(window.cloudWindow.call.connection.pc.getSenders().map(s => s.track && [s.track.kind, s.track.id, s.track.label]))`))
	t.Log("agent transceivers:", evalJS[string](agent.tab, `JSON.stringify(window.cloudWindow.call.connection.pc.getTransceivers().map(x => [x.mid, x.direction, x.currentDirection, x.receiver.track.kind, x.receiver.track.id]))`))
	t.Log("agent remote:", evalJS[string](agent.tab, `JSON.stringify(['main','document'].map(r => { const s = window.cloudWindow.call.connection.remoteStream(r); return s && s.getTracks().map(t => [t.kind, t.id, t.readyState, t.muted]) }))`))
	t.Log("station out:", evalJS[string](kiosk.tab, `(async () => { const r = []; for (const s of (await window.cloudWindow.call.connection.pc.getStats()).values()) if (s.type === 'outbound-rtp') r.push([s.kind, s.mid, s.bytesSent, s.framesEncoded, s.qualityLimitationReason, s.frameWidth, s.targetBitrate, s.active]); else if (s.type === 'candidate-pair' && s.nominated) r.push(['bwe', s.availableOutgoingBitrate]); return JSON.stringify(r) })()`))
	t.Log("station transceivers:", evalJS[string](kiosk.tab, `JSON.stringify(window.cloudWindow.call.connection.pc.getTransceivers().map(x => [x.mid, x.direction, x.currentDirection, x.sender.track && [x.sender.track.label, x.sender.track.readyState, x.sender.track.muted, x.sender.track.enabled]]))`))
	t.Log("station doc video:", evalJS[string](kiosk.tab, `JSON.stringify([document.querySelector('#document-video').videoWidth, document.querySelector('#document-video').currentTime])`))
	t.Log("station remote sdp:", evalJS[string](kiosk.tab, `window.cloudWindow.call.connection.pc.remoteDescription.sdp`))
	t.Log("agent sdp:", evalJS[string](agent.tab, `window.cloudWindow.call.connection.pc.remoteDescription.sdp`))
}
