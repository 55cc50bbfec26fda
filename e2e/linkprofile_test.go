package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/linkemu"
	"cloudwindow/stationlink"
)

type welcomeLink struct {
	LinkProfile *struct {
		Profile string `json:"profile"`
		Camera  *struct {
			MaxBitrate            int     `json:"max_bitrate"`
			ScaleResolutionDownBy float64 `json:"scale_resolution_down_by"`
		} `json:"camera"`
		Document *struct {
			MaxBitrate   int     `json:"max_bitrate"`
			MaxFramerate float64 `json:"max_framerate"`
		} `json:"document"`
	} `json:"link_profile"`
}

func welcomeLinkOf(t *testing.T, c *client.Client) welcomeLink {
	t.Helper()
	var w welcomeLink
	if err := json.Unmarshal(c.Welcome.Data, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// The demo's island station is marked low bandwidth: its welcome tells the
// kiosk to start its encoders low. An admin marks another station through
// the API and its next welcome says so; agents get no profile.
func TestStationLinkProfileReachesTheKioskAtWelcome(t *testing.T) {
	n := startNode(t, nil)
	island := welcomeLinkOf(t, dial(t, n, "island1")).LinkProfile
	if island == nil || island.Profile != "low_bandwidth" || island.Camera == nil || island.Camera.MaxBitrate > 300_000 ||
		island.Camera.ScaleResolutionDownBy < 2 || island.Document == nil || island.Document.MaxFramerate > 5 {
		t.Fatalf("island1's welcome link profile %+v: want low starting limits", island)
	}
	if w := welcomeLinkOf(t, dial(t, n, "station1")).LinkProfile; w == nil || w.Profile != "standard" || w.Camera != nil {
		t.Fatalf("station1's welcome link profile %+v: want standard without limits", w)
	}
	if w := welcomeLinkOf(t, dial(t, n, "agent1")).LinkProfile; w != nil {
		t.Errorf("an agent was given a link profile %+v", w)
	}

	ctx := ctxT(t)
	token, err := client.Login(ctx, n.URL(), "admin", "demo")
	if err != nil {
		t.Fatal(err)
	}
	st, err := n.Auth.AccountByUsername(ctx, "station1")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("PUT", n.URL()+"/api/v1/admin/stations/"+st.ID+"/link", strings.NewReader(`{"profile":"low_bandwidth"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("admin marks station1: %v %v", resp, err)
	}
	resp.Body.Close()
	if w := welcomeLinkOf(t, dial(t, n, "station1")).LinkProfile; w == nil || w.Profile != "low_bandwidth" || w.Camera == nil {
		t.Fatalf("station1 after marking: %+v", w)
	}
}

// A kiosk's pre-call check is kept and shown to the agent on the offer, before
// accepting. Only stations may report one; a bad one is refused.
func TestLinkCheckShownOnTheOffer(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	good := request(t, station, "station.link_check", map[string]any{"rtt_ms": 20, "down_kbps": 5000, "up_kbps": 5000})
	if strings.Contains(string(good.Data), "link_profile") {
		t.Errorf("a good check changes how the kiosk starts: %s", good.Data)
	}
	check := map[string]any{"rtt_ms": 310, "loss_pct": 5.5, "down_kbps": 250, "up_kbps": 240}
	var poor struct {
		Quality     string                `json:"quality"`
		LinkProfile *stationlink.Settings `json:"link_profile"`
	}
	if err := json.Unmarshal(request(t, station, "station.link_check", check).Data, &poor); err != nil {
		t.Fatal(err)
	}
	if poor.Quality != "poor" {
		t.Errorf("island-weak check graded %s, want poor", poor.Quality)
	}
	// The kiosk starts this call's encoders low, as a marked station would.
	if p := poor.LinkProfile; p == nil || p.Profile != "low_bandwidth" || p.Camera == nil || p.Camera.MaxBitrate > 200_000 {
		t.Errorf("a poor check tells the kiosk to start with %+v, want the low-bandwidth limits", p)
	}
	for _, c := range []struct {
		who  *client.Client
		data map[string]any
		code string
	}{
		{station, map[string]any{"rtt_ms": 10, "loss_pct": 140}, "bad_message"},
		{station, map[string]any{"rtt_ms": 10, "speed": 1}, "bad_message"},
		{agent, check, "forbidden"},
	} {
		_, err := c.who.Request(ctxT(t), "station.link_check", c.data)
		if err == nil || !strings.Contains(err.Error(), c.code) {
			t.Errorf("station.link_check %v: %v, want %s", c.data, err, c.code)
		}
	}
	ready(t, agent)
	request(t, station, "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	var offer struct {
		Station struct {
			Link struct {
				Quality   string  `json:"quality"`
				LossPct   float64 `json:"loss_pct"`
				DownKbps  int     `json:"down_kbps"`
				UpKbps    int     `json:"up_kbps"`
				CheckedAt string  `json:"checked_at"`
				Profile   string  `json:"profile"`
			} `json:"link"`
		} `json:"station"`
	}
	json.Unmarshal(next(t, agent, "call.offer").Data, &offer)
	l := offer.Station.Link
	if l.Quality != "poor" || l.LossPct != 5.5 || l.DownKbps != 250 || l.UpKbps != 240 || l.CheckedAt == "" || l.Profile != "standard" {
		t.Errorf("offer's station link %+v: want the check's figures, poor", l)
	}
}

// Through the link emulator on island-weak, the agent's console is told the
// station's link is poor, from the SFU's own figures, and the review keeps
// samples of it.
func TestIslandWeakConsoleSeesPoorLink(t *testing.T) {
	c := startIslandCall(t, linkemu.Profiles["island-weak"], true)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	var last struct {
		CallID      string  `json:"call_id"`
		Party       string  `json:"party"`
		RTTMs       int     `json:"rtt_ms"`
		LossPct     float64 `json:"loss_pct"`
		BitrateKbps int     `json:"bitrate_kbps"`
		Quality     string  `json:"quality"`
	}
	for last.Quality != "poor" {
		m, err := c.agent.Next(ctx, "call.link")
		if err != nil {
			t.Fatalf("no call.link saying poor (last %+v): %v", last, err)
		}
		json.Unmarshal(m.Data, &last)
		if last.CallID != c.callID || last.Party != "station" {
			t.Fatalf("call.link about %s/%s, want this call's station", last.CallID, last.Party)
		}
	}
	t.Logf("station link seen by the agent: %+v", last)
	if last.RTTMs == 0 {
		t.Errorf("poor link without a round trip: %+v", last)
	}
	if !c.alive() {
		t.Error("the call dropped")
	}
	samples, err := c.n.Calls.LinkSamples(context.Background(), c.callID)
	if err != nil || len(samples) == 0 {
		t.Fatalf("link samples kept for the review: %d, %v", len(samples), err)
	}
}
