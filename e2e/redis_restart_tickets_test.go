package e2e

import (
	"testing"
	"time"
)

// TestRedisRestartKeepsTickets restarts the cluster's Redis (no persistence)
// for longer than the queue leader's lock, so the queue starts again empty:
// the station's node tells it of both tickets again with their first
// enqueue times, so they are served ahead of a request made after the
// restart, one after the other.
func TestRedisRestartKeepsTickets(t *testing.T) {
	rd := startPrivateRedis(t)
	a, b := startClusterOn(t, rd.url())
	agent := dial(t, a, "agent2") // generalist, not ready yet
	station := dial(t, b, "station1")
	island := dial(t, a, "island1")
	civil := itemOf(t, a, "civil_affairs")
	var ids []string
	for _, want := range []string{"A001", "A002"} {
		m := request(t, station, "ticket.take", map[string]any{"item_id": civil})
		if got := field[string](t, m, "ticket"); got != want {
			t.Fatalf("ticket %s, want %s", got, want)
		}
		ids = append(ids, field[string](t, m, "request_id"))
	}

	rd.kill()
	time.Sleep(6 * time.Second) // longer than the leader's lock (3 s): the queue is lost
	rd.start()
	// The island's request, made after the restart, ends up behind both
	// tickets once the station's node has told the queue of them again.
	if pos := field[int](t, requestQueued(t, island, civil), "position"); pos != 3 {
		waitPosition(t, island, 3)
	}

	ready(t, agent)
	for i, want := range []string{"A001", "A002"} {
		if call := next(t, station, "ticket.call"); field[string](t, call, "ticket") != want {
			t.Fatalf("kiosk calls %s, want %s (ahead of the request made after the restart)", call.Data, want)
		}
		request(t, station, "ticket.answer", map[string]string{"request_id": ids[i]})
		offer := next(t, agent, "call.offer")
		if got := field[string](t, offer, "request_id"); got != ids[i] {
			t.Fatalf("agent offered %s, want ticket %s", got, want)
		}
		callID := field[string](t, request(t, agent, "call.accept", map[string]string{"request_id": ids[i]}), "call_id")
		request(t, agent, "call.hangup", map[string]string{"call_id": callID})
		request(t, agent, "call.wrapup", map[string]string{"call_id": callID, "outcome": "consultation", "notes": ""})
		ready(t, agent)
	}
}
