package e2e

import "testing"

// Calls back to back on the same two sessions, as fast as the clients go,
// alternating standing media and media per call: every one connects. At this
// pace the clients send more than the node's message rate, and a request
// over it used to be refused by an error that named no request, so the
// request (a call.hangup, call.accept, rtc.offer …) never got its reply.
func TestThirtyCallsInARowOnTheSameSessionsAllConnect(t *testing.T) {
	n := startNode(t, preconnectOn)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	for _, c := range []interface{ Ignore(...string) }{station, agent} {
		c.Ignore("queue.stats", "queue.position", "call.peer_state", "recording.status", "case.updated", "call.link")
	}
	ready(t, agent)
	item := itemOf(t, n, "medical_insurance")
	p := startPacer(t)
	for i := range 30 {
		t.Logf("call %d", i+1)
		goCallSetup(t, station, agent, item, p, i%2 == 0)
	}
}
