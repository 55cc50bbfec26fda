package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/stationhealth"
)

// stationHealth reads the supervisor's station list and returns username's row.
func stationHealth(t *testing.T, n *node.Node, token, username string) stationhealth.Station {
	t.Helper()
	resp, body := httpGet(t, n.URL()+"/api/v1/stations/health", token)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("station health: %d %s", resp.StatusCode, body)
	}
	var list struct{ Stations []stationhealth.Station }
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("decode station health: %v", err)
	}
	for _, st := range list.Stations {
		if st.Username == username {
			return st
		}
	}
	t.Fatalf("station %s is not in the list: %s", username, body)
	return stationhealth.Station{}
}

func tokenOf(t *testing.T, n *node.Node, username string) string {
	t.Helper()
	token, err := client.Login(ctxT(t), n.URL(), username, "demo")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return token
}

// TestStationHeartbeatShowsHealthToSupervisors: a kiosk's heartbeat makes
// it online with its devices in the supervisors' list; once it drops it is
// offline since then, and still so after the node restarts.
func TestStationHeartbeatShowsHealthToSupervisors(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, func(c *node.Config) { c.DataDir = dir })
	sup := tokenOf(t, n, "supervisor1")
	if st := stationHealth(t, n, sup, "island1"); st.Online || st.LastSeen != nil || !st.Island {
		t.Fatalf("island1 before any heartbeat: %+v", st)
	}

	station := dial(t, n, "island1")
	request(t, station, "station.heartbeat", map[string]any{"version": "2026.12.1",
		"devices": map[string]string{"camera": "ok", "document_camera": "missing", "microphone": "ok", "printer": "unknown"}})
	st := stationHealth(t, n, sup, "island1")
	if !st.Online || st.Version != "2026.12.1" || st.Devices["camera"] != "ok" || len(st.Missing) != 1 || st.Missing[0] != "document_camera" {
		t.Fatalf("island1 after a heartbeat: %+v", st)
	}

	before := time.Now().Add(-time.Second)
	station.Close()
	deadline := time.Now().Add(10 * time.Second)
	for st = stationHealth(t, n, sup, "island1"); st.Online && time.Now().Before(deadline); st = stationHealth(t, n, sup, "island1") {
		time.Sleep(50 * time.Millisecond)
	}
	if st.Online || st.OfflineSince == nil || st.OfflineSince.Before(before) {
		t.Fatalf("island1 after its socket closed: %+v", st)
	}
	since := *st.OfflineSince

	n.Close()
	n = startNode(t, func(c *node.Config) { c.DataDir = dir })
	st = stationHealth(t, n, tokenOf(t, n, "supervisor1"), "island1")
	if st.Online || st.OfflineSince == nil || !st.OfflineSince.Equal(since) || st.Devices["document_camera"] != "missing" {
		t.Fatalf("island1 after the node restarted: %+v (offline since %v before)", st, since)
	}
}

// TestStationHeartbeatRefusals: only stations send heartbeats, only with
// known devices and states; only supervisors and admins read the list.
func TestStationHeartbeatRefusals(t *testing.T) {
	n := startNode(t, nil)
	agent := dial(t, n, "agent1")
	if _, err := agent.Request(ctxT(t), "station.heartbeat", map[string]any{"version": "x"}); client.ErrCode(err) != "forbidden" {
		t.Errorf("agent heartbeat: %v, want forbidden", err)
	}
	station := dial(t, n, "station1")
	for _, d := range []map[string]any{
		{"devices": map[string]string{"scanner": "ok"}},
		{"devices": map[string]string{"camera": "broken"}},
		{"version": string(make([]byte, 41))},
		{"extra": 1},
	} {
		if _, err := station.Request(ctxT(t), "station.heartbeat", d); client.ErrCode(err) != "bad_message" {
			t.Errorf("heartbeat %v: %v, want bad_message", d, err)
		}
	}
	if st := stationHealth(t, n, tokenOf(t, n, "supervisor1"), "station1"); st.LastSeen != nil {
		t.Errorf("refused heartbeats were kept: %+v", st)
	}
	if resp, _ := httpGet(t, n.URL()+"/api/v1/stations/health", tokenOf(t, n, "agent2")); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent reading station health: %d, want 403", resp.StatusCode)
	}
}

// pinTry sends a helper PIN with token and returns the status and error code.
func pinTry(t *testing.T, n *node.Node, token, pin string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"pin": pin})
	req, _ := http.NewRequest(http.MethodPost, n.URL()+"/api/v1/station/helper-pin", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("helper PIN: %v", err)
	}
	defer resp.Body.Close()
	var e struct{ Error struct{ Code string } }
	json.NewDecoder(resp.Body).Decode(&e)
	return resp.StatusCode, e.Error.Code
}

// TestHelperPIN: the right PIN opens the self-check for a station; wrong
// ones are refused, and after five of them even the right one waits; only
// stations may ask; a node without a PIN keeps the self-check closed.
func TestHelperPIN(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.HelperPIN = "2468" })
	station := tokenOf(t, n, "station1")
	if status, _ := pinTry(t, n, station, "2468"); status != http.StatusOK {
		t.Errorf("right PIN: %d, want 200", status)
	}
	if status, _ := pinTry(t, n, tokenOf(t, n, "agent1"), "2468"); status != http.StatusForbidden {
		t.Errorf("an agent asking: %d, want 403", status)
	}
	for i := 0; i < 5; i++ {
		if status, code := pinTry(t, n, station, "1111"); status != http.StatusForbidden || code != "wrong_pin" {
			t.Errorf("wrong PIN %d: %d %s, want 403 wrong_pin", i+1, status, code)
		}
	}
	if status, code := pinTry(t, n, station, "2468"); status != http.StatusTooManyRequests || code != "too_many_tries" {
		t.Errorf("right PIN after five wrong ones: %d %s, want 429 too_many_tries", status, code)
	}
	if status, _ := pinTry(t, n, tokenOf(t, n, "island1"), "2468"); status != http.StatusOK {
		t.Errorf("another station's right PIN: %d, want 200 (the wait is per station)", status)
	}

	closed := startNode(t, nil)
	if status, code := pinTry(t, closed, tokenOf(t, closed, "station1"), ""); status != http.StatusNotFound || code != "not_configured" {
		t.Errorf("a node without a PIN: %d %s, want 404 not_configured", status, code)
	}
}
