package e2e

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pion/webrtc/v4"

	"cloudwindow/client"
	"cloudwindow/linkemu"
	"cloudwindow/node"
	"cloudwindow/signaling"
)

// TestUDPBlockedCallFallsBackToICETCP runs a call whose parties sit behind a
// link that drops every datagram: media must reach the node over ICE-TCP,
// straight to its TCP port, and flow both ways.
func TestUDPBlockedCallFallsBackToICETCP(t *testing.T) {
	n, link, islandURL := islandNode(t, linkemu.Profiles["udp-blocked"], true, func(c *node.Config) { c.TCPPort = 0 })
	tcp := strconv.Itoa(n.SFU.TCPPort())
	if _, err := link.RelayTCP(net.JoinHostPort(islandIP, tcp), "127.0.0.1:"+tcp); err != nil {
		t.Fatal(err)
	}
	station, agent := dialURL(t, islandURL, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	atStation, atAgent := newMediaCounter(), newMediaCounter()
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{OnPacket: atStation.onPacket, AnnounceIP: nowhereIP, TCP: true})
	if err != nil {
		t.Fatalf("station media: %v", err)
	}
	am, err := agent.StartMedia(ctx, callID, client.MediaOptions{OnPacket: atAgent.onPacket, AnnounceIP: nowhereIP, TCP: true})
	if err != nil {
		t.Fatalf("agent media: %v", err)
	}
	waitConnected(t, sm, am)
	sendSynthetic(100, sm, am)
	time.Sleep(300 * time.Millisecond)

	for who, c := range map[string]*mediaCounter{"station": atStation, "agent": atAgent} {
		if heard := c.heardFrom(0); heard < 50 {
			t.Errorf("%s heard %d of 100 audio frames over ICE-TCP", who, heard)
		}
	}
	for who, m := range map[string]*client.Media{"station": sm, "agent": am} {
		p := m.SelectedPair()
		if p == nil || p.Remote.Protocol != webrtc.ICEProtocolTCP || p.Remote.Typ != webrtc.ICECandidateTypeHost || p.Remote.Address != islandIP {
			t.Errorf("%s's media goes over %v, want ICE-TCP to the node's host candidate at %s", who, p, islandIP)
		}
	}
	if up, down := link.Stats(); up.Delivered == 0 || down.Delivered == 0 {
		t.Errorf("media did not cross the link: up %+v, down %+v", up, down)
	}
}

// TestBrowserRelayOnlyCallOverTURN runs calls from a kiosk set to relay
// only (relay_only=1) through a real coturn over TURN/UDP, TURN/TCP and
// TURNS/TLS, with short-lived credentials the node derives from
// --turn-secret: audio and video keep reaching both sides, and the kiosk's
// media goes over a relay candidate of the transport under test. One
// coturn, one node and one browser serve the three calls; the kiosk sees
// only the TURN address of the transport under test, as behind a firewall
// that lets only that one through.
func TestBrowserRelayOnlyCallOverTURN(t *testing.T) {
	turn := startTURN(t)
	browser, stop := launchChromium(t, chromiumPath(t), t.TempDir(), turnBrowserFlags(turn)...)
	t.Cleanup(stop)
	urls := turn.URLs()
	n := startNode(t, func(c *node.Config) {
		browserNode(c)
		c.TURNSecret = turn.secret
		c.ICEServers = []signaling.ICEServer{{URLs: []string{urls["udp"], urls["tcp"], urls["tls"]}}}
	})
	item := itemOf(t, n, "medical_insurance")
	agent := openConsole(t, browser, n, "agent1")
	kiosk := openStationURL(t, browser, n.URL()+"/station/"+kioskSettings+"&relay_only=1", "station1", 1280, 720, onlyTURNScript)
	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			kiosk.t, agent.t = t, t
			evalJS[bool](kiosk.tab, fmt.Sprintf(`window.onlyTURN = %q, true`, urls[transport]))
			agent.ready()
			kiosk.request("medical_insurance", item, "")
			agent.offerFrom(station1Name)
			agent.click("#offer-accept")
			agent.screen("call")
			kiosk.screen("call")
			mediaKeepsFlowing(t, 4, kiosk.tab, agent.tab)
			if got := kiosk.selectedLocalCandidate(); got != "relay/"+transport {
				t.Errorf("kiosk media goes over %q, want relay/%s", got, transport)
			}
			agent.click("#hangup")
			kiosk.leaveAfterCall()
			agent.wrapUp("done")
		})
	}
}

// turnBrowserFlags let Chromium use a TURN server on loopback: WebRTC
// leaves loopback out unless told, and TURNS must trust the test's
// self-signed certificate (by its public key; --ignore-certificate-errors
// does not reach WebRTC's TLS sockets).
func turnBrowserFlags(turn *turnServer) []chromedp.ExecAllocatorOption {
	return []chromedp.ExecAllocatorOption{
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("ignore-certificate-errors-spki-list", turn.spki),
	}
}

// onlyTURNScript keeps, of the ICE servers the node hands out, only the
// URL in window.onlyTURN (when set) for the page's next PeerConnections.
const onlyTURNScript = `(() => {
	const Native = window.RTCPeerConnection;
	window.RTCPeerConnection = class extends Native {
		constructor(config = {}, ...rest) {
			const only = window.onlyTURN;
			if (only && config.iceServers) {
				const iceServers = config.iceServers
					.map((s) => ({ ...s, urls: [s.urls].flat().filter((u) => u === only) }))
					.filter((s) => s.urls.length > 0);
				config = { ...config, iceServers };
			}
			super(config, ...rest);
		}
	};
})();`

// mediaKeepsFlowing checks, once a second for seconds, that every tab's
// call receives more audio and more video than a second before: media that
// starts and then stops fails.
func mediaKeepsFlowing(t *testing.T, seconds int, tabs ...*tab) {
	t.Helper()
	for _, p := range tabs {
		p.inboundGrowing("audio")
		p.inboundGrowing("video")
	}
	last := make([]map[string]float64, len(tabs))
	for i, p := range tabs {
		last[i] = inboundBytes(p)
	}
	for s := 1; s <= seconds; s++ {
		time.Sleep(time.Second)
		for i, p := range tabs {
			now := inboundBytes(p)
			for _, kind := range []string{"audio", "video"} {
				if now[kind] <= last[i][kind] {
					t.Errorf("%s: inbound %s stopped at %.0f bytes, %d s into the check", p.name, kind, now[kind], s)
				}
			}
			last[i] = now
		}
	}
}

// inboundBytes is the bytes the call's PeerConnection has received so far,
// by kind.
func inboundBytes(p *tab) map[string]float64 {
	p.t.Helper()
	return evalJS[map[string]float64](p, `(async () => {
		const out = { audio: 0, video: 0 };
		const pc = window.cloudWindow.call.connection?.pc;
		if (!pc) return out;
		for (const s of (await pc.getStats()).values()) {
			if (s.type === 'inbound-rtp') out[s.kind] += s.bytesReceived;
		}
		return out;
	})()`)
}

// selectedLocalCandidate is "type/relay protocol" of the local candidate of
// the call's selected pair, as the browser's getStats reports it.
func (p *tab) selectedLocalCandidate() string {
	p.t.Helper()
	return evalJS[string](p, `(async () => {
		const pc = window.cloudWindow.call.connection?.pc;
		if (!pc) return '';
		const stats = await pc.getStats();
		for (const s of stats.values()) {
			if (s.type !== 'transport' || !s.selectedCandidatePairId) continue;
			const local = stats.get(stats.get(s.selectedCandidatePairId)?.localCandidateId);
			return local ? local.candidateType + '/' + (local.relayProtocol ?? '') : '';
		}
		return '';
	})()`)
}
