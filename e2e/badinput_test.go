package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cloudwindow/client"
)

// errorReply reads frames until an error arrives and returns its code.
func rawErrorCode(t *testing.T, ws *websocket.Conn) string {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var m client.Message
		if err := ws.ReadJSON(&m); err != nil {
			t.Fatalf("read: %v", err)
		}
		if m.Type == "error" {
			var e client.Error
			json.Unmarshal(m.Data, &e)
			return e.Code
		}
	}
}

func TestMalformedMessagesGetTypedErrorsAndChangeNothing(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	cases := []struct {
		name  string
		frame string
		code  string
	}{
		{"not json", `{"type": "call.request", `, "bad_message"},
		{"no type", `{"id": "1", "data": {}}`, "bad_message"},
		{"unknown type", `{"type": "call.teleport", "id": "1", "data": {}}`, "unknown_type"},
		{"unknown field", `{"type": "call.request", "id": "1", "data": {"item_id": "mi-001", "vip": true}}`, "bad_message"},
		{"unknown envelope field", `{"type": "ping", "id": "1", "data": {}, "priority": "high"}`, "bad_message"},
		{"trailing content", `{"type": "ping", "id": "1", "data": {}} {"type": "ping"}`, "bad_message"},
		{"missing item", `{"type": "call.request", "id": "1", "data": {}}`, "bad_message"},
		{"bad green reason", `{"type": "call.request", "id": "1", "data": {"item_id": "mi-001", "green_channel": "vip"}}`, "bad_message"},
		{"unknown item", `{"type": "call.request", "id": "1", "data": {"item_id": "no-such-item"}}`, "not_found"},
		{"data not object", `{"type": "call.request", "id": "1", "data": [1,2]}`, "bad_message"},
		{"hang up without call", `{"type": "call.hangup", "id": "1", "data": {"call_id": "abc"}}`, "invalid_state"},
		{"offer without call", `{"type": "rtc.offer", "id": "1", "data": {"call_id": "abc", "sdp": "v=0"}}`, "invalid_state"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := rawRequest(t, station, tc.frame)
			if client.ErrCode(err) != tc.code {
				t.Errorf("got %v (%s), want error %s", err, m.Type, tc.code)
			}
		})
	}
	// Nothing was queued by any of it, and the socket still works.
	if waiting := field[int](t, next(t, agent, "queue.stats"), "waiting"); waiting != 0 {
		t.Errorf("queue has %d waiting after bad input", waiting)
	}
	request(t, station, "ping", map[string]any{})
}

// rawRequest sends a hand-written frame; errors without an id are matched
// through the inbox.
func rawRequest(t *testing.T, c *client.Client, frame string) (client.Message, error) {
	t.Helper()
	if err := c.SendRaw([]byte(frame)); err != nil {
		t.Fatalf("send: %v", err)
	}
	m := next(t, c, "error")
	var e client.Error
	json.Unmarshal(m.Data, &e)
	return m, &e
}

func TestOversizedMessageIsRefusedAndServerSurvives(t *testing.T) {
	n := startNode(t, nil)
	station := dial(t, n, "station1")
	big := `{"type":"chat.send","id":"1","data":{"call_id":"x","text":"` + strings.Repeat("长", 40000) + `"}}`
	station.SendRaw([]byte(big))
	m, err := station.Next(ctxT(t), "error")
	if err == nil {
		var e client.Error
		json.Unmarshal(m.Data, &e)
		if e.Code != "too_large" {
			t.Errorf("oversized message: %s, want too_large", e.Code)
		}
	}
	<-station.Done()
	// A new session works.
	again := dial(t, n, "station1")
	request(t, again, "ping", map[string]any{})
}

func TestWrongOrMissingTokenIsRefused(t *testing.T) {
	n := startNode(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, token := range []string{"", "not-a-token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."} {
		_, err := client.Dial(ctx, n.URL(), token)
		if code := client.ErrCode(err); code != "invalid_token" && code != "bad_message" {
			t.Errorf("token %q: %v, want invalid_token or bad_message", token, err)
		}
	}
	// The first message must be auth.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n.URL(), "http")+"/ws", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.Close()
	ws.WriteJSON(map[string]any{"type": "call.request", "id": "1", "data": map[string]string{"item_id": "mi-001"}})
	if code := rawErrorCode(t, ws); code != "unauthenticated" {
		t.Errorf("request before auth: %s, want unauthenticated", code)
	}
}

func TestBadSDPIsRefusedAndCallGoesOn(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	for _, sdp := range []string{"hello", "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\n"} {
		_, err := station.Request(ctxT(t), "rtc.offer", map[string]any{"call_id": callID, "sdp": sdp, "fresh": true})
		if client.ErrCode(err) != "bad_sdp" {
			t.Errorf("offer %q: %v, want bad_sdp", sdp, err)
		}
	}
	if _, err := station.StartMedia(ctxT(t), callID, client.MediaOptions{}); err != nil {
		t.Fatalf("a good offer after bad ones: %v", err)
	}
	request(t, station, "call.hangup", map[string]string{"call_id": callID})
}

func TestCatalogOverHTTP(t *testing.T) {
	n := startNode(t, nil)
	ctx := ctxT(t)
	token, err := client.Login(ctx, n.URL(), "station1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := httpGet(t, n.URL()+"/api/v1/catalog", token)
	var cat struct {
		Items []struct {
			ID            string            `json:"id"`
			NameZh        string            `json:"name_zh"`
			Materials     []json.RawMessage `json:"materials"`
			TimeLimitDays *int              `json:"time_limit_days"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &cat); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("catalog: %d %v", resp.StatusCode, err)
	}
	if len(cat.Items) < 190 {
		t.Errorf("catalog has %d items, want at least 190", len(cat.Items))
	}
	for _, it := range cat.Items {
		if len(it.Materials) == 0 || it.TimeLimitDays == nil || it.NameZh == "" {
			t.Errorf("item %s lacks materials, name or time limit", it.ID)
		}
	}
	if resp, _ := httpGet(t, n.URL()+"/api/v1/catalog", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("catalog without token: %d, want 401", resp.StatusCode)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, _ := httpGet(t, n.URL()+path, ""); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}
