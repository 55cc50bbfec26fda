package signaling

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

// connPair returns the server's conn and the client's socket of one
// WebSocket, upgraded the way the Server does it.
func connPair(t *testing.T) (*conn, *websocket.Conn) {
	t.Helper()
	return connPairWith(t, websocket.DefaultDialer)
}

// connPairWith is connPair with the client dialling through d.
func connPairWith(t *testing.T, d *websocket.Dialer) (*conn, *websocket.Conn) {
	t.Helper()
	up := newUpgrader()
	got := make(chan *conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		got <- newConn(ws, slog.New(slog.DiscardHandler), r.RemoteAddr)
	}))
	t.Cleanup(srv.Close)
	client, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	c := <-got
	t.Cleanup(func() { c.close(); <-c.done() })
	return c, client
}

// noLeaks checks, after every other clean-up of t, that t left no
// goroutine running.
func noLeaks(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) })
}

// readLoop reads c as serve does once c is signed in, until the socket
// fails; the returned channel closes then.
func readLoop(c *conn) <-chan struct{} {
	c.live = true
	c.ws.SetPongHandler(func(p string) error {
		c.pong(p)
		return c.ws.SetReadDeadline(time.Now().Add(c.pongWait))
	})
	c.ws.SetReadDeadline(time.Now().Add(c.pongWait))
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		for {
			if _, err := c.read(); err != nil {
				return
			}
		}
	}()
	return ended
}

func TestConnMessagesKeepTheirOrderAndTheCloseComesLast(t *testing.T) {
	noLeaks(t)
	c, client := connPair(t)
	const n = sendBuffer - 1
	for i := range n {
		c.send(Message{Type: TypePong, ID: fmt.Sprint(i), Data: json.RawMessage("{}")})
	}
	c.close()
	c.send(Message{Type: TypePong, ID: "after close", Data: json.RawMessage("{}")})
	for i := range n {
		_, b, err := client.ReadMessage()
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		var m Message
		if err := json.Unmarshal(b, &m); err != nil || m.ID != fmt.Sprint(i) {
			t.Fatalf("message %d arrived as %s (%v)", i, b, err)
		}
	}
	_, b, err := client.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("after the queued messages: %q, %v; want a normal close", b, err)
	}
	<-c.done()
}

func TestConnTooSlowClientIsClosed(t *testing.T) {
	noLeaks(t)
	c, client := connPair(t)
	data, _ := json.Marshal(strings.Repeat("x", 4096))
	for i := 0; ; i++ {
		select {
		case <-c.done(): // the client read nothing: its queue overflowed
			for { // what was written, then the end of the socket
				if _, _, err := client.ReadMessage(); err != nil {
					return
				}
			}
		default:
		}
		if i == 1<<20 {
			t.Fatal("a client that reads nothing is still connected after 4 GB")
		}
		c.send(Message{Type: TypePong, Data: data})
	}
}

func TestKeepaliveKeepsAnsweringPeerAndDropsSilentOne(t *testing.T) {
	noLeaks(t)
	k := newKeepalive(100 * time.Millisecond)
	t.Cleanup(k.close)

	answering, answeringClient := connPair(t)
	silent, _ := connPair(t)
	for _, c := range []*conn{answering, silent} {
		c.pongWait = 500 * time.Millisecond
		k.add(c)
		t.Cleanup(func() { k.remove(c) })
	}
	go func() {
		for { // reading answers pings with pongs
			if _, _, err := answeringClient.ReadMessage(); err != nil {
				return
			}
		}
	}()
	answeringEnded, silentEnded := readLoop(answering), readLoop(silent)

	select {
	case <-silentEnded:
	case <-time.After(20 * time.Second):
		t.Fatal("a peer that answers no ping is still connected")
	}
	silent.close()
	<-silent.done()
	// The answering peer outlived several silent waits: its pongs count.
	deadline := time.After(4 * answering.pongWait)
	for done := false; !done; {
		select {
		case <-answeringEnded:
			t.Fatal("a peer that answers pings was dropped")
		case <-deadline:
			done = true
		}
	}
	if answering.roundTrip() <= 0 {
		t.Error("no round trip measured from the keepalive's pings")
	}
	answering.close()
	<-answering.done()
	<-answeringEnded
}

// stallWriter marks c's writer as running without running it, as when the
// node is starved of CPU; start runs it.
func stallWriter(c *conn) (start func()) {
	c.mu.Lock()
	c.writing = true
	c.mu.Unlock()
	return func() { go c.writeLoop() }
}

func TestQueuePositionsSupersedeWhileQueued(t *testing.T) {
	c, client := connPair(t)
	start := stallWriter(c)
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
	c, client := connPair(t)
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

// A client that sends faster than the message rate has every message
// handled, in order, and none refused: a refusal could not name the request
// it was for, which then never got its reply.
func TestConnOverTheRateIsReadSlowerNotRefused(t *testing.T) {
	noLeaks(t)
	c, client := connPair(t)
	c.live = true
	const n = msgBurst + 10
	read := make(chan string, n)
	go func() {
		for {
			m, err := c.read()
			if err != nil {
				return
			}
			read <- m.ID
		}
	}()
	refused := make(chan string, 1)
	go func() {
		_, b, err := client.ReadMessage()
		if err == nil {
			refused <- string(b)
		}
	}()
	for i := range n {
		if err := client.WriteJSON(Message{Type: TypePing, ID: fmt.Sprint(i), Data: json.RawMessage("{}")}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	for i := range n {
		select {
		case id := <-read:
			if id != fmt.Sprint(i) {
				t.Fatalf("message %d read as %s", i, id)
			}
		case b := <-refused:
			t.Fatalf("after %d messages of %d the server answered %s", i, n, b)
		}
	}
}
