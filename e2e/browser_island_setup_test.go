package e2e

import (
	"context"
	"testing"
	"time"

	"cloudwindow/linkemu"
)

// islandDesk is one kiosk and one console on their own node, the kiosk
// behind its own emulated link.
type islandDesk struct {
	agent console
	kiosk station
	item  string
}

// openIslandDesk starts a node behind a link on the profile, with standing
// media connections on or off, and opens a console (ready) and a kiosk.
func openIslandDesk(t *testing.T, browser context.Context, profile string, standing bool) islandDesk {
	t.Helper()
	mod := browserPerCallNode
	if standing {
		mod = browserPreconnectNode
	}
	n, _, islandURL := islandNode(t, linkemu.Profiles[profile], true, mod)
	d := islandDesk{agent: openConsole(t, browser, n, "agent1"), item: itemOf(t, n, "medical_insurance")}
	d.kiosk = openStationURL(t, browser, islandURL+"/station/"+kioskSettings, "station1", 1280, 720, "")
	d.agent.ready()
	return d
}

// setupArm is one way of setting a call up: on standing connections or
// per call, and whether the accept waits for the ringing call to have
// prepared the standing connections.
type setupArm struct {
	name            string
	standing, ready bool
}

var setupArms = []setupArm{
	{"standing, accepted once prepared", true, true},
	{"standing, accepted at once", true, false},
	{"per call", false, false},
}

// browserSetupTimes runs calls over a profile (island-weak: 300 ms round
// trip, 256 kbit/s, bursty loss; the kiosk's WebSocket crosses it too), each
// setupArm in turn, on two nodes (standing connections on and off), and logs
// the times from the agent's accept to the first audio received at both
// ends, and how long the ringing call took to prepare the standing
// connections when the accept waited for it.
func browserSetupTimes(t *testing.T, browser context.Context, profile string, calls int) {
	desks := map[bool]islandDesk{
		true:  openIslandDesk(t, browser, profile, true),
		false: openIslandDesk(t, browser, profile, false),
	}
	times := make([][]time.Duration, len(setupArms))
	var prepared []time.Duration
	cpu := procStat()
	for i := range len(setupArms) * calls {
		arm := setupArms[i%len(setupArms)]
		took, prep := islandCallSetup(t, desks[arm.standing], arm.ready)
		times[i%len(setupArms)] = append(times[i%len(setupArms)], took)
		if arm.ready {
			prepared = append(prepared, prep)
		}
	}
	busy := machineBusy(cpu)
	for i, arm := range setupArms {
		t.Logf("set-up over %s, %s: %s", profile, arm.name, summary(times[i]))
	}
	t.Logf("offer → standing connections prepared at both ends over %s: %s", profile, summary(prepared))
	t.Logf("machine busy %.0f %% over the run, CPU pressure (avg60) %s at the end", busy*100, cpuPressure())
}

// islandCallSetup runs one call and returns accept → first audio at both
// ends and, with prepared, offer → both standing connections prepared (the
// remote tracks held on both ends), which the accept then waits for as a
// ringing call a moment long would.
func islandCallSetup(t *testing.T, d islandDesk, prepared bool) (took, prep time.Duration) {
	t.Helper()
	d.kiosk.request("medical_insurance", d.item, "")
	d.agent.offerFrom(station1Name)
	offered := time.Now()
	if prepared {
		for _, p := range []*tab{d.agent.tab, d.kiosk.tab} {
			p.waitJS(`window.cloudWindow.call.standbyConnection?.remoteStream('main')?.getAudioTracks().length > 0`, "prepared standing connection")
		}
		prep = time.Since(offered)
	}
	for _, p := range []*tab{d.agent.tab, d.kiosk.tab} {
		watchFirstAudio(p)
	}
	start := evalJS[float64](d.agent.tab, `(() => { const t = Date.now(); document.querySelector('#offer-accept').click(); return t; })()`)
	var last float64
	for _, p := range []*tab{d.agent.tab, d.kiosk.tab} {
		p.waitJS(`window.__firstAudio > 0`, "first audio")
		last = max(last, evalJS[float64](p, `window.__firstAudio`))
		if prepared && !evalJS[bool](p, `window.cloudWindow.call.connection === window.__standing`) {
			t.Errorf("%s: the call does not run on the standing connection it prepared", p.name)
		}
	}
	d.agent.click("#hangup")
	d.kiosk.leaveAfterCall()
	d.agent.wrapUp("done")
	return time.Duration((last - start) * float64(time.Millisecond)), prep
}

// watchFirstAudio notes in the page (window.__firstAudio, Date.now()) when
// the call's connection first has more audio bytes received than it had
// now: a standing connection is the same before and after the accept, a per
// call one is new. It keeps the standing connection of now in
// window.__standing, to tell whether the call adopted it.
func watchFirstAudio(p *tab) {
	evalJS[bool](p, `(async () => {
		window.__firstAudio = 0;
		window.__standing = window.cloudWindow.call.standbyConnection;
		const audioBytes = async (pc) => {
			let bytes = 0;
			// A connection closed meanwhile has no stats: nothing received.
			const stats = await pc.getStats().catch(() => new Map());
			for (const s of stats.values()) {
				if (s.type === 'inbound-rtp' && s.kind === 'audio') bytes += s.bytesReceived ?? 0;
			}
			return bytes;
		};
		const base = new Map();
		const call = window.cloudWindow.call;
		const poll = async () => {
			const pc = call.connection?.pc;
			if (pc && !base.has(pc)) base.set(pc, 0);
			if (pc && await audioBytes(pc) > base.get(pc)) { window.__firstAudio = Date.now(); return; }
			setTimeout(poll, 10);
		};
		for (const c of [call.connection, call.standbyConnection]) {
			if (c?.pc) base.set(c.pc, await audioBytes(c.pc));
		}
		poll();
		return true;
	})()`)
}
