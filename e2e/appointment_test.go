package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/store"
)

// bookingNode is a node whose every day is a working day, so that slots
// exist whenever the test runs.
func bookingNode(dir string) func(*node.Config) {
	return func(c *node.Config) {
		c.DataDir = dir
		if c.Location == nil {
			c.Location = node.DefaultConfig().Location
		}
		now := time.Now().In(c.Location)
		for i := range 3 {
			c.ExtraWorkdays = append(c.ExtraWorkdays, now.AddDate(0, 0, i).Format("2006-01-02"))
		}
	}
}

// openSchedule gives agent1 every weekday, all day, for medical insurance,
// as a supervisor in the console would.
func openSchedule(t *testing.T, n *node.Node) {
	t.Helper()
	sup := tokenOf(t, n, "supervisor1")
	agent, err := n.Auth.AccountByUsername(context.Background(), "agent1")
	if err != nil {
		t.Fatal(err)
	}
	for wd := 1; wd <= 7; wd++ {
		sc := map[string]any{"agent_id": agent.ID, "skill_group": "medical_insurance", "weekday": wd, "start": "00:00", "end": "24:00", "capacity": 5}
		if status, body := apiJSON(t, n, http.MethodPost, "/api/v1/appointments/schedules", sup, sc); status != http.StatusCreated {
			t.Fatalf("add schedule: %d %s", status, body)
		}
	}
}

// bookFirstSlot books the first free slot of item at a station.
func bookFirstSlot(t *testing.T, n *node.Node, token, item string) map[string]any {
	t.Helper()
	_, body := apiJSON(t, n, http.MethodGet, "/api/v1/appointments/slots?item_id="+item, token, nil)
	var slots struct {
		Days []struct {
			Slots []struct {
				At time.Time `json:"at"`
			} `json:"slots"`
		} `json:"days"`
	}
	if err := json.Unmarshal(body, &slots); err != nil || len(slots.Days) == 0 {
		t.Fatalf("slots: %v %s", err, body)
	}
	nb := map[string]any{"item_id": item, "at": slots.Days[0].Slots[0].At, "name": "王小明", "phone_last4": "1234"}
	status, body := apiJSON(t, n, http.MethodPost, "/api/v1/appointments", token, nb)
	if status != http.StatusCreated {
		t.Fatalf("book: %d %s", status, body)
	}
	var out struct {
		Booking map[string]any `json:"booking"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Booking
}

// moveSlot lets time pass for one booking: its slot began at at.
func moveSlot(t *testing.T, dir, id string, at time.Time) {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(dir, "cloudwindow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(context.Background(), `UPDATE appointments SET slot_at = ? WHERE id = ?`, store.Millis(at), id); err != nil {
		t.Fatal(err)
	}
}

func apiJSON(t *testing.T, n *node.Node, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(ctxT(t), method, n.URL()+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestBookedStationIsOfferedBeforeAnEarlierNormalRequestAtItsSlot(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, bookingNode(dir))
	openSchedule(t, n)
	item := itemOf(t, n, "medical_insurance")
	booking := bookFirstSlot(t, n, tokenOf(t, n, "station1"), item)
	later := bookFirstSlot(t, n, tokenOf(t, n, "station1"), item)
	id := booking["id"].(string)
	moveSlot(t, dir, id, time.Now().Add(-time.Minute))
	moveSlot(t, dir, later["id"].(string), time.Now().Add(2*time.Hour))

	normal, booked, agent := dial(t, n, "island1"), dial(t, n, "station1"), dial(t, n, "agent1")
	// The queue checks the booking rather than trusting the station.
	for _, tc := range []struct {
		who  *client.Client
		id   string
		code string
	}{{normal, id, "forbidden"}, {booked, "no-such-booking", "not_found"}, {booked, later["id"].(string), "invalid_state"}} {
		_, err := tc.who.Request(ctxT(t), "call.request", map[string]any{"item_id": item, "appointment_id": tc.id})
		if client.ErrCode(err) != tc.code {
			t.Errorf("request with booking %s: %v, want %s", tc.id, err, tc.code)
		}
	}
	request(t, normal, "call.request", map[string]any{"item_id": item})
	q := request(t, booked, "call.request", map[string]any{"item_id": item, "appointment_id": id})
	if pos := field[int](t, q, "position"); pos != 1 {
		t.Errorf("booked request queued at position %d, want 1", pos)
	}
	waitPosition(t, normal, 2)
	ready(t, agent)
	if st := field[map[string]any](t, next(t, agent, "call.offer"), "station"); st["name"] != "东海社区远程帮办点" {
		t.Errorf("first offer went to %v, want the booked station", st)
	}
}

func TestNoShowLapsesAndCannotBeCalled(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, bookingNode(dir))
	openSchedule(t, n)
	item := itemOf(t, n, "medical_insurance")
	token := tokenOf(t, n, "station1")
	booking := bookFirstSlot(t, n, token, item)
	moveSlot(t, dir, booking["id"].(string), time.Now().Add(-11*time.Minute))
	st := dial(t, n, "station1")
	dial(t, n, "agent1") // someone could take the call
	_, err := st.Request(ctxT(t), "call.request", map[string]any{"item_id": item, "appointment_id": booking["id"]})
	if client.ErrCode(err) != "invalid_state" {
		t.Errorf("call with a lapsed booking: %v, want invalid_state", err)
	}
	status, body := apiJSON(t, n, http.MethodPost, "/api/v1/appointments/lookup", token, map[string]string{"code": booking["code"].(string), "phone_last4": "1234"})
	var out struct {
		Booking map[string]any `json:"booking"`
	}
	if json.Unmarshal(body, &out); status != http.StatusOK || out.Booking["state"] != "no_show" {
		t.Errorf("lapsed booking: %d %s", status, body)
	}
}
