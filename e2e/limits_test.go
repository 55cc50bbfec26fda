package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"cloudwindow/client"
	"cloudwindow/node"
)

// wsURL is the node's signaling address.
func wsURL(n *node.Node) string { return "ws" + strings.TrimPrefix(n.URL(), "http") + "/ws" }

// dialWSFrom opens a signaling socket from the loopback address from
// (127.0.0.x: every one is a different client address). It returns the
// HTTP status of a refused upgrade.
func dialWSFrom(t *testing.T, n *node.Node, from string) (*websocket.Conn, int) {
	t.Helper()
	d := websocket.Dialer{
		HandshakeTimeout: 5 * time.Second,
		NetDial: func(network, addr string) (net.Conn, error) {
			nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
			return nd.Dial(network, addr)
		},
	}
	ws, resp, err := d.Dial(wsURL(n), nil)
	if err == nil {
		t.Cleanup(func() { ws.Close() })
		return ws, http.StatusSwitchingProtocols
	}
	if resp == nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	var body struct{ Error client.Error }
	json.NewDecoder(resp.Body).Decode(&body)
	if body.Error.Code != "too_many_connections" {
		t.Errorf("refused socket from %s: %d %+v, want code too_many_connections", from, resp.StatusCode, body.Error)
	}
	return nil, resp.StatusCode
}

func TestSignalingConnectionCapsPerAddressAndInTotal(t *testing.T) {
	n := startNode(t, func(c *node.Config) {
		c.ConnLimits.WSMaxPerAddress, c.ConnLimits.WSMaxConnections = 3, 5
	})
	var held []*websocket.Conn
	for i := 0; i < 3; i++ {
		ws, code := dialWSFrom(t, n, "127.0.0.1")
		if ws == nil {
			t.Fatalf("socket %d from one address refused (%d) under the cap", i+1, code)
		}
		held = append(held, ws)
	}
	if _, code := dialWSFrom(t, n, "127.0.0.1"); code != http.StatusTooManyRequests {
		t.Errorf("4th socket from one address: %d, want 429", code)
	}
	for i := 0; i < 2; i++ {
		if ws, code := dialWSFrom(t, n, "127.0.0.2"); ws == nil {
			t.Fatalf("socket from a second address refused (%d) under the caps", code)
		}
	}
	if _, code := dialWSFrom(t, n, "127.0.0.3"); code != http.StatusServiceUnavailable {
		t.Errorf("6th socket on the node: %d, want 503", code)
	}
	// A closed socket gives its place back: a station can sign in again.
	held[0].Close()
	ctx := ctxT(t)
	token, err := client.Login(ctx, n.URL(), "station1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	for {
		c, err := client.Dial(ctx, n.URL(), token)
		if err == nil {
			c.Close()
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no place after a socket closed: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the server sees the close a moment later
	}
	if resp, body := httpGet(t, n.URL()+"/metrics", ""); !strings.Contains(string(body), `cloudwindow_ws_refused_total{cap="address"} 1`) {
		t.Errorf("metrics (%d) do not count the refused socket", resp.StatusCode)
	}
}

func TestUnauthenticatedSocketIsClosedAtTheAuthDeadlineWhateverItSends(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ConnLimits.WSAuthTimeout = time.Second })
	ws, _ := dialWSFrom(t, n, "127.0.0.1")
	closed := make(chan error, 1)
	go func() {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				closed <- err
				return
			}
		}
	}()
	// Junk frames, each answered with bad_message, do not buy time.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(8 * time.Second)
	for {
		select {
		case <-closed:
			return
		case <-tick.C:
			ws.WriteMessage(websocket.TextMessage, []byte("junk"))
		case <-giveUp:
			t.Fatal("a socket sending junk was still open 8 s after a 1 s auth deadline")
		}
	}
}

func TestBinaryFramesAreRefused(t *testing.T) {
	n := startNode(t, nil)
	token, err := client.Login(ctxT(t), n.URL(), "station1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := dialWSFrom(t, n, "127.0.0.1")
	ws.WriteJSON(map[string]any{"type": "auth", "id": "1", "data": map[string]string{"token": token}})
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var welcome client.Message
	if err := ws.ReadJSON(&welcome); err != nil || welcome.Type != "welcome" {
		t.Fatalf("auth: %+v %v", welcome, err)
	}
	// A well-formed request, but in a binary frame.
	ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping","id":"2","data":{}}`))
	if code := rawErrorCode(t, ws); code != "bad_message" {
		t.Errorf("binary frame: %s, want bad_message", code)
	}
	for {
		var m client.Message
		if err := ws.ReadJSON(&m); err != nil {
			break // closed, as it should be
		}
		if m.Type == "pong" {
			t.Fatal("a binary frame was served")
		}
	}
}

// rawHTTP opens a plain TCP connection to the node.
func rawHTTP(t *testing.T, n *node.Node) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(n.URL(), "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// closedOrAnswered reports on done when the server answers or closes conn.
func closedOrAnswered(conn net.Conn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn.Read(make([]byte, 1))
	}()
	return done
}

func TestSlowRequestBodyIsCutOff(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ConnLimits.HTTPReadTimeout = time.Second })
	conn := rawHTTP(t, n)
	body := `{"username":"station1","password":"demo"}`
	fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
	done := closedOrAnswered(conn)
	// One byte every 200 ms would take 8 s; the server must not wait for it.
	for i := 0; i < len(body); i++ {
		select {
		case <-done:
			return
		case <-time.After(200 * time.Millisecond):
			conn.Write([]byte{body[i]})
		}
	}
	t.Fatal("a login body dripped one byte at a time was read to its end, past a 1 s read timeout")
}

func TestIdleKeepAliveConnectionIsClosed(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ConnLimits.HTTPIdleTimeout = 500 * time.Millisecond })
	conn := rawHTTP(t, n)
	fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	conn.SetReadDeadline(time.Now().Add(8 * time.Second))
	_, err = rd.ReadByte()
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("an idle keep-alive connection was still open 8 s after a 0.5 s idle timeout")
	}
}

func TestConnectionLimitHoldsNewConnectionsUntilOneCloses(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ConnLimits.MaxConnections = 3 })
	var held []net.Conn
	for i := 0; i < 3; i++ {
		conn := rawHTTP(t, n)
		fmt.Fprint(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil {
			t.Fatalf("connection %d under the limit: %v", i+1, err)
		}
		held = append(held, conn)
	}
	extra := rawHTTP(t, n)
	fmt.Fprint(extra, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	answered := closedOrAnswered(extra)
	select {
	case <-answered:
		t.Fatal("a 4th connection was served while 3 were open with a limit of 3")
	case <-time.After(time.Second):
	}
	held[0].Close()
	select {
	case <-answered:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting connection was not served after another closed")
	}
}

func TestSlowUploadChunkGetsItsOwnLongerDeadline(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.ConnLimits.HTTPReadTimeout = time.Second })
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	stTok := token(t, n, "station1")
	ready(t, agent)
	callID := startCall(t, station, agent, "mi-001")
	scan := scanPNG()
	sum := sha256.Sum256(scan)
	var up struct {
		UploadID string `json:"upload_id"`
	}
	api(t, n, "POST", "/api/v1/uploads", stTok, map[string]any{"call_id": callID, "filename": "id.png",
		"size": len(scan), "sha256": hex.EncodeToString(sum[:])}, &up)
	// A weak island link: the chunk takes 2 s, twice the read timeout of other requests.
	pr, pw := io.Pipe()
	go func() {
		for i, step := 0, (len(scan)+3)/4; i < len(scan); i += step {
			time.Sleep(500 * time.Millisecond)
			pw.Write(scan[i:min(i+step, len(scan))])
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("PUT", n.URL()+"/api/v1/uploads/"+up.UploadID+"/chunks/0", pr)
	req.ContentLength = int64(len(scan))
	req.Header.Set("Authorization", "Bearer "+stTok)
	req.Header.Set("X-Chunk-SHA256", hex.EncodeToString(sum[:]))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("slow chunk: %v", err)
	}
	defer resp.Body.Close()
	var st struct {
		Document *struct{ ID string } `json:"document"`
	}
	json.NewDecoder(resp.Body).Decode(&st)
	if resp.StatusCode != http.StatusOK || st.Document == nil {
		t.Fatalf("slow chunk: %d, document %v", resp.StatusCode, st.Document)
	}
}
