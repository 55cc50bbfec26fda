package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

func TestGreenChannelIsOfferedBeforeAnEarlierNormalRequest(t *testing.T) {
	n := startNode(t, nil)
	normal, green, agent := dial(t, n, "station1"), dial(t, n, "island1"), dial(t, n, "agent2")
	item := itemOf(t, n, "civil_affairs")
	// The agent is signed in but not ready, so both requests wait.
	request(t, normal, "call.request", map[string]any{"item_id": item})
	q := request(t, green, "call.request", map[string]any{"item_id": item, "green_channel": "elderly"})
	if pos := field[int](t, q, "position"); pos != 1 {
		t.Errorf("green-channel request queued at position %d, want 1", pos)
	}
	waitPosition(t, normal, 2)
	ready(t, agent)
	offer := next(t, agent, "call.offer")
	if st := field[map[string]any](t, offer, "station"); st["name"] != "鲁家峙岛远程帮办点" || st["island"] != true {
		t.Errorf("first offer went to %v, want the green-channel island station", st)
	}
	if gc := field[string](t, offer, "green_channel"); gc != "elderly" {
		t.Errorf("offer green_channel %q", gc)
	}
}

// waitPosition reads position pushes until the station is at pos.
func waitPosition(t *testing.T, station *client.Client, pos int) {
	t.Helper()
	for {
		if field[int](t, next(t, station, "queue.position"), "position") == pos {
			return
		}
	}
}

func TestSkilledAgentIsPreferredAndGeneralistTakesTheRest(t *testing.T) {
	n := startNode(t, nil)
	station, island := dial(t, n, "station1"), dial(t, n, "island1")
	skilled, generalist := dial(t, n, "agent1"), dial(t, n, "agent2")
	ready(t, generalist) // ready first: longest idle, yet not skilled
	time.Sleep(10 * time.Millisecond)
	ready(t, skilled)
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	if st := field[map[string]any](t, next(t, skilled, "call.offer"), "station"); st["name"] != "东海社区远程帮办点" {
		t.Errorf("skilled agent got %v", st)
	}
	// An item agent1 has no skill for goes to the generalist.
	request(t, island, "call.request", map[string]any{"item_id": itemOf(t, n, "housing")})
	if st := field[map[string]any](t, next(t, generalist, "call.offer"), "station"); st["name"] != "鲁家峙岛远程帮办点" {
		t.Errorf("generalist got %v", st)
	}
}

func TestRingTimeoutReoffersAndMarksSilentAgentNotReady(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.RingTimeout = 300 * time.Millisecond })
	station, first, second := dial(t, n, "station1"), dial(t, n, "agent2"), dial(t, n, "agent1")
	ready(t, first)
	time.Sleep(10 * time.Millisecond)
	ready(t, second)
	q := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, q, "request_id")
	// agent2 is longest idle but agent1 is skilled: agent1 rings first and stays silent.
	next(t, second, "call.offer")
	if r := field[string](t, next(t, second, "call.offer_withdrawn"), "reason"); r != "timeout" {
		t.Errorf("withdrawn reason %q, want timeout", r)
	}
	waitAgentState(t, second, "not_ready")
	if got := field[string](t, next(t, first, "call.offer"), "request_id"); got != reqID {
		t.Errorf("re-offered %s, want %s", got, reqID)
	}
	// The silent agent can no longer take it.
	if _, err := second.Request(ctxT(t), "call.accept", map[string]string{"request_id": reqID}); client.ErrCode(err) != "not_offered" {
		t.Errorf("silent agent accept: %v, want not_offered", err)
	}
	request(t, first, "call.accept", map[string]string{"request_id": reqID})
}

// TestRejectReoffersToAnotherAgent: a declined call rings the next agent at
// once, not when the first agent's ring would have run out.
func TestRejectReoffersToAnotherAgent(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.RingTimeout = 30 * time.Second })
	station, a1, a2 := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "agent2")
	ready(t, a1)
	ready(t, a2)
	q := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, q, "request_id")
	next(t, a1, "call.offer")
	request(t, a1, "call.reject", map[string]string{"request_id": reqID})
	// Far less than the 30 s ring: only an immediate re-offer arrives in time.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	offer, err := a2.Next(ctx, "call.offer")
	if err != nil {
		t.Fatalf("agent2 not offered the declined call within 3 s (ring timeout 30 s): %v", err)
	}
	if got := field[string](t, offer, "request_id"); got != reqID {
		t.Errorf("after reject agent2 was offered %s", got)
	}
}

func TestCancelRemovesRequestAndStopsRinging(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	q := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, q, "request_id")
	next(t, agent, "call.offer")
	request(t, station, "call.cancel", map[string]string{"request_id": reqID})
	if r := field[string](t, next(t, agent, "call.offer_withdrawn"), "reason"); r != "cancelled" {
		t.Errorf("withdrawn reason %q, want cancelled", r)
	}
	if _, err := agent.Request(ctxT(t), "call.accept", map[string]string{"request_id": reqID}); client.ErrCode(err) != "not_offered" {
		t.Errorf("accept after cancel: %v, want not_offered", err)
	}
	// Cancelling twice is an error, not a crash.
	if _, err := station.Request(ctxT(t), "call.cancel", map[string]string{"request_id": reqID}); client.ErrCode(err) != "not_found" {
		t.Errorf("second cancel: %v, want not_found", err)
	}
}

func TestOnlyTheOfferedAgentMayAccept(t *testing.T) {
	n := startNode(t, nil)
	station, a1, a2 := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "agent2")
	ready(t, a1)
	q := request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	reqID := field[string](t, q, "request_id")
	next(t, a1, "call.offer")
	if _, err := a2.Request(ctxT(t), "call.accept", map[string]string{"request_id": reqID}); client.ErrCode(err) != "not_offered" {
		t.Errorf("other agent accept: %v, want not_offered", err)
	}
	request(t, a1, "call.accept", map[string]string{"request_id": reqID})
}

func TestRolesAreEnforcedPerMessage(t *testing.T) {
	n := startNode(t, nil)
	station, agent, supervisor := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "supervisor1")
	cases := []struct {
		who  string
		c    *client.Client
		typ  string
		data any
	}{
		{"station", station, "agent.state", map[string]string{"state": "ready", "reason": ""}},
		{"station", station, "call.accept", map[string]string{"request_id": "x"}},
		{"agent", agent, "call.request", map[string]any{"item_id": "mi-001"}},
		{"supervisor", supervisor, "call.request", map[string]any{"item_id": "mi-001"}},
		{"supervisor", supervisor, "call.hangup", map[string]string{"call_id": "x"}},
	}
	for _, tc := range cases {
		if _, err := tc.c.Request(ctxT(t), tc.typ, tc.data); client.ErrCode(err) != "forbidden" {
			t.Errorf("%s by %s: %v, want forbidden", tc.typ, tc.who, err)
		}
	}
}

func TestNoAgentOnlineIsToldWithOpeningHours(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.OpeningHours = "周一至周五 9:00-17:00" })
	station := dial(t, n, "station1")
	_, err := station.Request(ctxT(t), "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	if client.ErrCode(err) != "no_agents" || !strings.Contains(err.Error(), "周一至周五 9:00-17:00") {
		t.Errorf("request with nobody online: %v", err)
	}
}

// TestOfferTellsWhereFromAndWhatToExpect: before answering, the agent knows
// the station's region, how good its link is and that it has no camera.
func TestOfferTellsWhereFromAndWhatToExpect(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	// The server pings on connecting, so the station's pong is read before
	// its request: the link is measured.
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance"), "audio_only": true})
	type offeredStation struct {
		Region    string `json:"region"`
		AudioOnly bool   `json:"audio_only"`
		Link      *struct {
			RTTMs   int    `json:"rtt_ms"`
			Quality string `json:"quality"`
		} `json:"link"`
	}
	st := field[offeredStation](t, next(t, agent, "call.offer"), "station")
	if st.Region != "沈家门街道" || !st.AudioOnly || st.Link == nil || st.Link.Quality != "good" || st.Link.RTTMs < 1 {
		t.Errorf("offer's station: region %q, audio only %v, link %+v; want 沈家门街道, true, a good measured link",
			st.Region, st.AudioOnly, st.Link)
	}
}
