package e2e

import (
	"net"
	"os"
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

// TestBrowserRelayOnlyCallOverTURN runs a call from a kiosk set to relay
// only (relay_only=1) through a real coturn over TURN/UDP, TURN/TCP and
// TURNS/TLS, with short-lived credentials the node derives from
// --turn-secret: audio and video reach both sides, and the kiosk's media
// goes over a relay candidate of the transport under test.
//
// It runs when CLOUDWINDOW_TEST_TURN=1: on the test machine media starts over
// the relay and then stops (see BENCHMARKS.md, "Island links"), which is not
// understood yet.
func TestBrowserRelayOnlyCallOverTURN(t *testing.T) {
	if os.Getenv("CLOUDWINDOW_TEST_TURN") != "1" {
		t.Skip("set CLOUDWINDOW_TEST_TURN=1: relay-only media over coturn on loopback does not hold yet")
	}
	turn := startTURN(t)
	// Chromium leaves loopback out of WebRTC unless told: the relay here is
	// on loopback, as everything in the tests.
	browser, stop := launchChromium(t, chromiumPath(t), t.TempDir(), chromedp.Flag("allow-loopback-in-peer-connection", true))
	t.Cleanup(stop)
	for _, transport := range []string{"udp", "tcp", "tls"} {
		t.Run(transport, func(t *testing.T) {
			n := startNode(t, func(c *node.Config) {
				browserNode(c)
				c.TURNSecret = turn.secret
				c.ICEServers = []signaling.ICEServer{{URLs: []string{turn.URLs()[transport]}}}
			})
			item := itemOf(t, n, "medical_insurance")
			agent := openConsole(t, browser, n, "agent1")
			agent.ready()
			kiosk := openStationURL(t, browser, n.URL()+"/station/"+kioskSettings+"&relay_only=1", "station1", 1280, 720, "")
			kiosk.request("medical_insurance", item, "")
			agent.offerFrom(station1Name)
			agent.click("#offer-accept")
			agent.screen("call")
			kiosk.screen("call")

			for _, kind := range []string{"audio", "video"} {
				kiosk.inboundGrowing(kind)
				agent.inboundGrowing(kind)
			}
			if got := kiosk.selectedLocalCandidate(); got != "relay/"+transport {
				t.Errorf("kiosk media goes over %q, want relay/%s", got, transport)
			}
		})
	}
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
