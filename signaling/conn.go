package signaling

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"
)

// Connection limits.
const (
	maxMessageSize = 64 << 10
	pingInterval   = 20 * time.Second
	pongWait       = 45 * time.Second
	writeWait      = 10 * time.Second
	closeWait      = time.Second
	sendBuffer     = 64
	msgRate        = 20
	msgBurst       = 40
	// readBufferSize is the socket's read buffer: most messages are small,
	// and a larger one (an SDP offer) is read through it in a few calls.
	// Every idle kiosk holds one, so it stays small.
	readBufferSize = 1024
)

// conn is one WebSocket. One goroutine reads it (the HTTP handler's until
// sign-in, then the server's serve) and handles incoming messages one at a
// time, in order. Writes go through a queue drained by a writer goroutine
// that runs only while something is queued, so an idle connection costs
// one goroutine, and nothing else ever blocks on the socket.
type conn struct {
	ws      *websocket.Conn
	log     *slog.Logger
	remote  string
	limiter *rate.Limiter
	// live is set once the socket is authenticated; only then does a frame
	// extend the read deadline. Before, the auth deadline stays fixed, so
	// junk frames cannot keep an anonymous socket open. Read-loop only.
	live     bool
	pongWait time.Duration // how long a live socket may stay silent
	opened   time.Time
	pinged   atomic.Int64 // when the last ping went, in ns since opened
	rtt      atomic.Int64 // last keepalive round trip in ns, 0 until the first pong
	slot     int          // the keepalive wheel's slot, -1 if not on it (keepalive.mu)

	mu      sync.Mutex
	queue   []queued      // encoded messages waiting for the writer
	pingDue bool          // a ping waits for the writer
	writing bool          // a writer goroutine runs (or the socket is closed)
	closing bool          // close was asked: the writer flushes, then closes
	closed  chan struct{} // closed once the socket is
}

func newConn(ws *websocket.Conn, log *slog.Logger, remote string) *conn {
	ws.SetReadLimit(maxMessageSize)
	return &conn{
		ws:       ws,
		log:      log,
		remote:   remote,
		limiter:  rate.NewLimiter(msgRate, msgBurst),
		pongWait: pongWait,
		opened:   time.Now(),
		slot:     -1,
		closed:   make(chan struct{}),
	}
}

// ping writes a keepalive ping carrying its send time, so that the pong
// measures the link's round trip (what an agent is told of a station's link).
func (c *conn) ping() error {
	var b [8]byte
	at := time.Since(c.opened)
	c.pinged.Store(int64(at))
	binary.BigEndian.PutUint64(b[:], uint64(at))
	return c.ws.WriteControl(websocket.PingMessage, b[:], time.Now().Add(writeWait))
}

// pong records the round trip of the ping that payload answers; a pong
// that does not echo the last ping is not believed.
func (c *conn) pong(payload string) {
	if len(payload) != 8 {
		return
	}
	sent := time.Duration(binary.BigEndian.Uint64([]byte(payload)))
	if int64(sent) != c.pinged.Load() {
		return
	}
	if rtt := time.Since(c.opened) - sent; rtt > 0 {
		c.rtt.Store(int64(rtt))
	}
}

// roundTrip is the last measured round trip, 0 if none yet.
func (c *conn) roundTrip() time.Duration { return time.Duration(c.rtt.Load()) }

// queued is an encoded message waiting for the writer, with the key it was
// sent under ("" for none, see sendLatest).
type queued struct {
	b        []byte
	key      string
	compress bool // see compressed
}

// compressed reports whether a message of type typ is sent compressed when
// the client takes permessage-deflate: session descriptions only. They are
// the signaling's largest messages (Chromium's offers 6–11 kB, the node's
// 3–4 kB; deflated, a quarter to a fifth of that), and on a 256 kbit/s island
// link each lost TCP segment of one costs a retransmission timeout while the
// call waits for it. They are written by the node and the browsers alone, so
// no text an attacker chooses shares a compressed message with a secret.
func compressed(typ string) bool { return typ == TypeRTCOffer || typ == TypeRTCAnswer }

// send queues m for writing. It never blocks: a client too slow to take its
// messages is disconnected (it can resume) rather than stall the server.
func (c *conn) send(m Message) { c.sendLatest(m, "") }

// sendLatest is send for a message of which only the latest with the same
// key matters (key "" is send): while an earlier one waits in the queue, m
// takes its place there. A burst of queue positions (a hundred calls
// starting at once move every waiting station a hundred times) then costs
// each station one queue slot, and a client the node could not write to for
// a moment keeps its connection.
func (c *conn) sendLatest(m Message, key string) {
	b, err := json.Marshal(m)
	if err != nil {
		c.log.Error("encode message", "type", m.Type, "err", err)
		return
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if c.replaceQueuedLocked(key, b) {
		c.mu.Unlock()
		return
	}
	if len(c.queue) >= sendBuffer {
		c.mu.Unlock()
		c.log.Warn("client too slow, closing", "type", m.Type, "remote", c.remote)
		c.close()
		return
	}
	c.queue = append(c.queue, queued{b: b, key: key, compress: compressed(m.Type)})
	c.startWriterLocked()
	c.mu.Unlock()
}

// replaceQueuedLocked puts b in place of the queued message sent under key,
// if one still waits.
func (c *conn) replaceQueuedLocked(key string, b []byte) bool {
	if key == "" {
		return false
	}
	for i := range c.queue {
		if c.queue[i].key == key {
			c.queue[i].b = b
			return true
		}
	}
	return false
}

// measure asks for a ping at once, so the link is measured before a station
// asks for a call. It is called after welcome: a ping to a client that is
// still authenticating could make it answer with a pong into a socket the
// server is closing, and lose the error that says why. The keepalive wheel
// calls it too.
func (c *conn) measure() {
	c.mu.Lock()
	if !c.closing {
		c.pingDue = true
		c.startWriterLocked()
	}
	c.mu.Unlock()
}

// close ends the connection: what is already queued (a final error,
// session.replaced) is written, then a close frame, then the socket closes.
// It does not wait; done tells when the socket is closed.
func (c *conn) close() {
	c.mu.Lock()
	c.closing = true
	c.startWriterLocked()
	c.mu.Unlock()
}

// done is closed once the socket is closed.
func (c *conn) done() <-chan struct{} { return c.closed }

// startWriterLocked starts the writer unless one runs. c.mu is held.
func (c *conn) startWriterLocked() {
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

// writeAction is what the writer does next.
type writeAction int

const (
	writeIdle writeAction = iota // nothing queued: the writer exits
	writeMessage
	writePing
	writeClose
)

// next takes the writer's next job; on writeIdle the writer has stopped
// being the writer.
func (c *conn) next() (writeAction, queued) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case len(c.queue) > 0:
		q := c.queue[0]
		c.queue[0] = queued{}
		c.queue = c.queue[1:]
		if len(c.queue) == 0 {
			c.queue = nil // an idle connection holds no backing array
		}
		return writeMessage, q
	case c.closing:
		return writeClose, queued{}
	case c.pingDue:
		c.pingDue = false
		return writePing, queued{}
	}
	c.writing = false
	return writeIdle, queued{}
}

// writeLoop writes what is queued and exits when nothing is left; after a
// close it closes the socket. It is the only writer of data frames.
func (c *conn) writeLoop() {
	for {
		action, q := c.next()
		var err error
		switch action {
		case writeIdle:
			return
		case writeMessage:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			c.ws.EnableWriteCompression(q.compress) // no effect unless negotiated
			err = c.ws.WriteMessage(websocket.TextMessage, q.b)
		case writePing:
			err = c.ping()
		case writeClose:
			c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(closeWait))
			c.shut()
			return
		}
		if err != nil {
			c.shut()
			return
		}
	}
}

// shut closes the socket at once and drops what is queued; the writer
// calling it stays marked as running, so that no other starts.
func (c *conn) shut() {
	c.ws.Close()
	c.mu.Lock()
	c.closing, c.queue = true, nil
	c.mu.Unlock()
	close(c.closed)
}

// read returns the next message, no sooner than the message rate allows
// (throttle). A frame that is not a valid envelope is answered with an error
// and skipped; an oversized or binary one ends the connection (the protocol
// is JSON text only).
func (c *conn) read() (Message, error) {
	for {
		kind, b, err := c.readFrame()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				c.sendError("", protoErr(CodeTooLarge, "message exceeds %d bytes", maxMessageSize))
			}
			return Message{}, err
		}
		if kind != websocket.TextMessage {
			c.sendError("", protoErr(CodeBadMessage, "binary frames are not accepted; send JSON text"))
			return Message{}, errBinaryFrame
		}
		if c.live {
			c.ws.SetReadDeadline(time.Now().Add(c.pongWait))
		}
		c.throttle()
		m, err := decodeEnvelope(b)
		if err != nil {
			c.sendError("", protoErr(CodeBadMessage, "a message is a JSON object with a type, an optional id and data, and nothing else"))
			continue
		}
		return m, nil
	}
}

var errBinaryFrame = errors.New("binary frame")

// readFrame reads one whole message. The socket's read limit counts the
// bytes on the wire, which for a compressed message are not what it
// inflates to (a kilobyte can inflate to a megabyte), so the inflated
// message is held to maxMessageSize here.
func (c *conn) readFrame() (int, []byte, error) {
	kind, r, err := c.ws.NextReader()
	if err != nil {
		return 0, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r, maxMessageSize+1))
	if err != nil {
		return 0, nil, err
	}
	if len(b) > maxMessageSize {
		return 0, nil, websocket.ErrReadLimit
	}
	return kind, b, nil
}

// throttle holds the reader until the next message is within msgRate
// (bursts of msgBurst). A client over the rate is read more slowly rather
// than refused: dropping its messages broke the promise that a request gets
// one reply (the refusal could not say which request it was for), and a
// dropped rtc.candidate or call.hangup leaves a call without media or
// without end. A flooding client only fills its own socket's buffers, and
// the node handles no more of its messages than before.
func (c *conn) throttle() {
	d := c.limiter.Reserve().Delay()
	if d <= 0 {
		return
	}
	c.log.Debug("client over the message rate, reading it more slowly", "remote", c.remote, "wait", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.closed: // the next read fails at once
	}
}

// decodeEnvelope parses one frame strictly: unknown envelope fields and
// trailing content are refused, as they are in data.
func decodeEnvelope(b []byte) (Message, error) {
	var m Message
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Message{}, err
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return Message{}, errors.New("trailing content")
	}
	if m.Type == "" || len(m.ID) > maxIDLen {
		return Message{}, errors.New("missing type or id too long")
	}
	return m, nil
}

func (c *conn) sendError(re string, pe *ProtocolError) {
	data, _ := json.Marshal(pe)
	c.send(Message{Type: TypeError, Re: re, Data: data})
}

// newUpgrader makes the server's WebSocket upgrader: a small read buffer of
// its own (the HTTP server's is dropped with the request), a pool that holds
// a write buffer only while writing (most sessions sit idle at a kiosk), and
// permessage-deflate offered for the session descriptions (compressed). A
// connection that negotiated it holds no compressor while idle: gorilla
// takes one from a pool for each compressed message.
func newUpgrader() websocket.Upgrader {
	return websocket.Upgrader{ReadBufferSize: readBufferSize, WriteBufferPool: &sync.Pool{}, EnableCompression: true}
}
