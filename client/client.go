// Package client speaks the Cloud Window protocol from Go: it is the
// station and agent of the end-to-end tests and of the load generator. It
// logs in over HTTP, holds the signaling WebSocket and, in a call, one
// PeerConnection to the node.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Message is the protocol envelope.
type Message struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Re   string          `json:"re,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Error is a typed protocol error from the server.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Login exchanges a username and password for an access token.
func Login(ctx context.Context, baseURL, username, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("login %s: %w", username, err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
		Error *Error `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return "", fmt.Errorf("login %s: decode: %w", username, err)
	}
	if out.Error != nil {
		return "", fmt.Errorf("login %s: %w", username, out.Error)
	}
	return out.Token, nil
}

// Client is one signaling session.
type Client struct {
	ws      *websocket.Conn
	Welcome Message
	baseURL string
	token   string
	// invitation is a guest's, who signs in with it instead of a token.
	invitation string

	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int
	pending map[string]chan Message
	inbox   []Message
	notify  chan struct{}
	media   *Media
	ignored map[string]bool // unsolicited types dropped instead of kept in the inbox
	done    chan struct{}
	err     error
	// heard is when the last message came in, unix ns.
	heard atomic.Int64
}

// Dial opens the signaling socket at baseURL (http[s]://host) and
// authenticates with token. resume, if not nil, is the earlier welcome's
// session_id and resume_token.
func Dial(ctx context.Context, baseURL, token string, resume ...string) (*Client, error) {
	auth := map[string]string{"token": token}
	if len(resume) == 2 {
		auth["resume"], auth["resume_token"] = resume[0], resume[1]
	}
	return dial(ctx, baseURL, token, auth, nil)
}

// DialGuest opens the signaling socket at baseURL as a remote guest, with
// the secret of the invitation (the part of its link after "#").
func DialGuest(ctx context.Context, baseURL, invitation string) (*Client, error) {
	return dial(ctx, baseURL, "", map[string]string{"invitation": invitation}, nil)
}

// dial opens a socket and authenticates. m, if set, is a call's media taken
// over by the new socket before it reads anything: a resumed session's server
// sends the offer it is still waiting to have answered right behind the
// welcome, and it must not land in the inbox.
func dial(ctx context.Context, baseURL, token string, auth map[string]string, m *Media) (*Client, error) {
	wsURL := "ws" + strings.TrimPrefix(baseURL, "http") + "/ws"
	// The default dialer (and what a process set on it, such as the roots it
	// trusts), taking permessage-deflate as browsers do, so that the node's
	// compressed messages reach Go clients the way they reach the web apps.
	dialer := *websocket.DefaultDialer
	dialer.EnableCompression = true
	ws, _, err := dialer.DialContext(ctx, wsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", wsURL, err)
	}
	c := &Client{ws: ws, baseURL: baseURL, token: token, invitation: auth["invitation"],
		pending: map[string]chan Message{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
	c.heard.Store(time.Now().UnixNano())
	if m != nil {
		m.moveTo(c)
	}
	go c.readLoop()
	w, err := c.Request(ctx, "auth", auth)
	if err != nil {
		c.mu.Lock()
		c.media = nil // the media is the caller's still, not closed with c
		c.mu.Unlock()
		c.Close()
		return nil, err
	}
	c.Welcome = w
	return c, nil
}

// Silence is how long the socket has carried nothing from the server.
func (c *Client) Silence() time.Duration {
	return time.Since(time.Unix(0, c.heard.Load()))
}

// Close closes the socket (and the call's PeerConnection, if any).
func (c *Client) Close() {
	c.mu.Lock()
	m := c.media
	c.mu.Unlock()
	if m != nil {
		m.Close()
	}
	c.ws.Close()
	<-c.done
}

// Done is closed when the socket has closed.
func (c *Client) Done() <-chan struct{} { return c.done }

func (c *Client) readLoop() {
	defer close(c.done)
	for {
		var m Message
		err := c.ws.ReadJSON(&m)
		c.heard.Store(time.Now().UnixNano())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			c.wake()
			return
		}
		c.route(m)
	}
}

func (c *Client) route(m Message) {
	c.mu.Lock()
	if ch, ok := c.pending[m.Re]; ok && m.Re != "" {
		delete(c.pending, m.Re)
		c.mu.Unlock()
		ch <- m
		return
	}
	media := c.media
	c.mu.Unlock()
	if media != nil && media.handles(m) {
		return
	}
	c.mu.Lock()
	if c.ignored[m.Type] {
		c.mu.Unlock()
		return
	}
	c.inbox = append(c.inbox, m)
	c.mu.Unlock()
	c.wake()
}

func (c *Client) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// Send writes a message without waiting for a reply.
func (c *Client) Send(typ string, data any) error {
	return c.write(Message{Type: typ}, data)
}

func (c *Client) write(m Message, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	m.Data = b
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteJSON(m)
}

// SendRaw writes a frame as is (for tests of malformed input).
func (c *Client) SendRaw(frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, frame)
}

// Request sends a message with an id and waits for its reply. A reply of
// type error is returned as *Error.
func (c *Client) Request(ctx context.Context, typ string, data any) (Message, error) {
	return c.request(ctx, typ, data, nil)
}

// request is Request; onID, if set, learns the request's id before it is sent.
func (c *Client) request(ctx context.Context, typ string, data any, onID func(id string)) (Message, error) {
	c.mu.Lock()
	c.nextID++
	id := strconv.Itoa(c.nextID)
	ch := make(chan Message, 1)
	c.pending[id] = ch
	c.mu.Unlock()
	if onID != nil {
		onID(id)
	}
	if err := c.write(Message{Type: typ, ID: id}, data); err != nil {
		return Message{}, fmt.Errorf("send %s: %w", typ, err)
	}
	select {
	case m := <-ch:
		return reply(m)
	case <-c.done:
		// The reply may have come just before the socket closed (an error,
		// then the close): it is already routed, so it wins.
		select {
		case m := <-ch:
			return reply(m)
		default:
		}
		return Message{}, fmt.Errorf("%s: connection closed", typ)
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id) // no longer awaited: a late reply goes to the inbox
		c.mu.Unlock()
		return Message{}, fmt.Errorf("%s: %w", typ, ctx.Err())
	}
}

// reply turns an error reply into an *Error.
func reply(m Message) (Message, error) {
	if m.Type == "error" {
		var e Error
		json.Unmarshal(m.Data, &e)
		return m, &e
	}
	return m, nil
}

// awaitingReply reports whether the request with that id has had no reply yet.
func (c *Client) awaitingReply(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pending[id]
	return ok
}

// Next waits for the next unsolicited message of one of types, taking it
// from the inbox; messages of other types stay there.
func (c *Client) Next(ctx context.Context, types ...string) (Message, error) {
	for {
		c.mu.Lock()
		for i, m := range c.inbox {
			if contains(types, m.Type) {
				c.inbox = append(c.inbox[:i], c.inbox[i+1:]...)
				c.mu.Unlock()
				return m, nil
			}
		}
		err := c.err
		c.mu.Unlock()
		if err != nil {
			return Message{}, fmt.Errorf("waiting for %v: connection closed: %w", types, err)
		}
		select {
		case <-c.notify:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return Message{}, fmt.Errorf("waiting for %v: %w", types, ctx.Err())
		}
	}
}

// Decode unmarshals a message's data.
func Decode[T any](m Message) (T, error) {
	var v T
	if err := json.Unmarshal(m.Data, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", m.Type, err)
	}
	return v, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ErrCode returns the protocol error code of err, or "".
func ErrCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
