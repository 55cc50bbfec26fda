package e2e

import (
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
)

// TestTwoTicketsAtOneStationAreServedOneAfterTheOther: two residents take
// tickets at one kiosk; the kiosk calls the first, its resident answers,
// the agent takes the call; the second ticket is called only once that call
// has ended and the agent is free again.
func TestTwoTicketsAtOneStationAreServedOneAfterTheOther(t *testing.T) {
	n := startNode(t, nil)
	station, agent, other := dial(t, n, "station1"), dial(t, n, "agent2"), dial(t, n, "island1")
	item := itemOf(t, n, "civil_affairs")

	first := request(t, station, "ticket.take", map[string]any{"item_id": item})
	second := request(t, station, "ticket.take", map[string]any{"item_id": item})
	if a, b := field[string](t, first, "ticket"), field[string](t, second, "ticket"); a != "A001" || b != "A002" {
		t.Fatalf("tickets numbered %s, %s; want A001, A002", a, b)
	}
	if p := field[int](t, second, "position"); p != 2 {
		t.Errorf("second ticket at position %d, want 2", p)
	}
	list := request(t, station, "ticket.list", map[string]any{})
	if got := field[[]map[string]any](t, list, "tickets"); len(got) != 2 || got[0]["ticket"] != "A001" {
		t.Errorf("waiting list %v", got)
	}
	// Only a station takes tickets, and only for itself.
	if _, err := agent.Request(ctxT(t), "ticket.take", map[string]any{"item_id": item}); client.ErrCode(err) != "forbidden" {
		t.Errorf("agent taking a ticket: %v, want forbidden", err)
	}
	if _, err := other.Request(ctxT(t), "ticket.cancel", map[string]any{"request_id": field[string](t, first, "request_id")}); client.ErrCode(err) != "not_found" {
		t.Errorf("another station cancelling a ticket: %v, want not_found", err)
	}

	for i, taken := range []client.Message{first, second} {
		id, number := field[string](t, taken, "request_id"), field[string](t, taken, "ticket")
		ready(t, agent)
		call := next(t, station, "ticket.call")
		if got := field[string](t, call, "ticket"); got != number {
			t.Fatalf("call %d: kiosk calls %s, want %s", i+1, got, number)
		}
		request(t, station, "ticket.answer", map[string]string{"request_id": id})
		if got := field[string](t, next(t, agent, "call.offer"), "request_id"); got != id {
			t.Fatalf("call %d: agent offered %s, want %s", i+1, got, id)
		}
		accepted := request(t, agent, "call.accept", map[string]string{"request_id": id})
		callID := field[string](t, accepted, "call_id")
		next(t, station, "call.started")
		request(t, agent, "call.hangup", map[string]string{"call_id": callID})
		next(t, station, "call.ended")
		request(t, agent, "call.wrapup", map[string]string{"call_id": callID, "outcome": "consultation", "notes": ""})
		waitAgentState(t, agent, "wrap_up")
	}
}

// TestMissedTicketGoesBackOnceThenLapses: nobody answers the kiosk's call;
// the ticket goes back into the queue once, is called again, and then lapses.
func TestMissedTicketGoesBackOnceThenLapses(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.TicketAnswerTimeout = 300 * time.Millisecond })
	station, agent := dial(t, n, "station1"), dial(t, n, "agent2")
	taken := request(t, station, "ticket.take", map[string]any{"item_id": itemOf(t, n, "civil_affairs")})
	ready(t, agent)
	for _, want := range []string{"requeued", "lapsed"} {
		next(t, station, "ticket.call")
		if got := field[string](t, next(t, station, "ticket.call_ended"), "outcome"); got != want {
			t.Fatalf("missed ticket outcome %s, want %s", got, want)
		}
	}
	if got := field[[]map[string]any](t, request(t, station, "ticket.list", map[string]any{}), "tickets"); len(got) != 0 {
		t.Errorf("lapsed ticket still listed: %v", got)
	}
	if _, err := station.Request(ctxT(t), "ticket.answer", map[string]string{"request_id": field[string](t, taken, "request_id")}); client.ErrCode(err) != "not_found" {
		t.Errorf("answering a lapsed ticket: %v, want not_found", err)
	}
}
