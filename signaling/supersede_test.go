package signaling

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// slowClientConn returns a server-side conn whose write loop has not started
// yet (as when the node is starved of CPU), and the client's socket; start
// starts the write loop.
func slowClientConn(t *testing.T) (c *conn, client *websocket.Conn, start func()) {
	t.Helper()
	ready := make(chan *conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ready <- newConn(ws, slog.New(slog.DiscardHandler))
	}))
	t.Cleanup(srv.Close)
	client, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	c = <-ready
	var wg sync.WaitGroup
	t.Cleanup(func() {
		c.close()
		wg.Wait()
	})
	return c, client, func() { wg.Go(c.writeLoop) }
}

func TestQueuePositionsSupersedeWhileQueued(t *testing.T) {
	c, client, start := slowClientConn(t)
	// Far more positions than the send buffer holds, for two requests in turn,
	// with other messages between them.
	push := func(request string, from int) {
		for pos := from; pos >= 1; pos-- {
			b, _ := json.Marshal(positionData{RequestID: request, Position: pos})
			c.sendLatest(Message{Type: TypeQueuePosition, Data: b}, TypeQueuePosition+"/"+request)
		}
	}
	push("r1", 10*sendBuffer)
	c.send(Message{Type: TypeCallEnded, Data: json.RawMessage(`{"call_id":"r1"}`)})
	push("r2", 10*sendBuffer)
	c.send(Message{Type: TypeOK})
	start()

	var got []string
	for {
		var m struct {
			Type string       `json:"type"`
			Data positionData `json:"data"`
		}
		if err := client.ReadJSON(&m); err != nil {
			t.Fatalf("connection lost after %v: %v", got, err)
		}
		if m.Type == TypeQueuePosition {
			got = append(got, m.Data.RequestID+"@"+itoa(m.Data.Position))
		} else {
			got = append(got, m.Type)
		}
		if m.Type == TypeOK {
			break
		}
	}
	want := []string{"r1@1", TypeCallEnded, "r2@1", TypeOK}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("client got %v, want %v", got, want)
	}
}

// A position pushed after the earlier one was written is sent too.
func TestQueuePositionAfterWriteIsSent(t *testing.T) {
	c, client, start := slowClientConn(t)
	start()
	for _, pos := range []int{2, 1} {
		b, _ := json.Marshal(positionData{RequestID: "r1", Position: pos})
		c.sendLatest(Message{Type: TypeQueuePosition, Data: b}, TypeQueuePosition+"/r1")
		var m struct {
			Data positionData `json:"data"`
		}
		if err := client.ReadJSON(&m); err != nil {
			t.Fatal(err)
		}
		if m.Data.Position != pos {
			t.Fatalf("client got position %d, want %d", m.Data.Position, pos)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
