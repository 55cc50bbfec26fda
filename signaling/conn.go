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
	sendBuffer     = 64
	msgRate        = 20
	msgBurst       = 40
)

// conn is one WebSocket. Its read loop runs on the HTTP handler's goroutine
// and owns the handling of incoming messages (one at a time, in order); its
// write loop owns every write, so nothing else ever blocks on the socket.
type conn struct {
	ws      *websocket.Conn
	log     *slog.Logger
	out     chan *queuedFrame
	latest  latestFrames // open frames of conn.sendLatest
	done    chan struct{}
	pingNow chan struct{} // asks the write loop for a ping out of turn
	once    sync.Once
	limiter *rate.Limiter
	// live is set once the socket is authenticated; only then does a frame
	// extend the read deadline. Before, the auth deadline stays fixed, so
	// junk frames cannot keep an anonymous socket open. Read-loop only.
	live   bool
	opened time.Time
	pinged atomic.Int64 // when the last ping went, in ns since opened
	rtt    atomic.Int64 // last keepalive round trip in ns, 0 until the first pong
}

func newConn(ws *websocket.Conn, log *slog.Logger) *conn {
	ws.SetReadLimit(maxMessageSize)
	return &conn{
		ws:      ws,
		log:     log,
		out:     make(chan *queuedFrame, sendBuffer),
		done:    make(chan struct{}),
		pingNow: make(chan struct{}, 1),
		limiter: rate.NewLimiter(msgRate, msgBurst),
		opened:  time.Now(),
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

// send queues m for writing. It never blocks: a client too slow to take its
// messages is disconnected (it can resume) rather than stall the server.
func (c *conn) send(m Message) { c.sendLatest(m, "") }

// sendLatest is send for a message of which only the latest with the same
// key matters (key "" is send): while an earlier one waits in the queue, m
// takes its place there.
func (c *conn) sendLatest(m Message, key string) {
	b, err := json.Marshal(m)
	if err != nil {
		c.log.Error("encode message", "type", m.Type, "err", err)
		return
	}
	q := &queuedFrame{frame: &frame{b: b}, key: key}
	if key != "" && c.latest.replace(key, b, q.frame) {
		return
	}
	select {
	case c.out <- q:
	case <-c.done:
	default:
		c.log.Warn("client too slow, closing", "type", m.Type)
		c.close()
	}
}

// queuedFrame is a frame in c.out, with the key it is open under ("" for none).
type queuedFrame struct {
	*frame
	key string
}

// bytes takes the frame for writing.
func (c *conn) bytes(q *queuedFrame) []byte {
	b := q.take()
	if q.key != "" {
		c.latest.forget(q.key, q.frame)
	}
	return b
}

func (c *conn) close() {
	c.once.Do(func() { close(c.done) })
}

// measure asks for a ping at once, so the link is measured before a station
// asks for a call. It is called after welcome: a ping to a client that is
// still authenticating could make it answer with a pong into a socket the
// server is closing, and lose the error that says why.
func (c *conn) measure() {
	select {
	case c.pingNow <- struct{}{}:
	default:
	}
}

// writeLoop writes queued messages and keepalive pings until the conn
// closes.
func (c *conn) writeLoop() {
	ticker := time.NewTicker(pingInterval)
	defer func() {
		ticker.Stop()
		c.ws.Close()
	}()
	for {
		select {
		case <-c.pingNow:
			if err := c.ping(); err != nil {
				c.close()
				return
			}
		case q := <-c.out:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.TextMessage, c.bytes(q)); err != nil {
				c.close()
				return
			}
		case <-ticker.C:
			if err := c.ping(); err != nil {
				c.close()
				return
			}
		case <-c.done:
			c.flush()
			return
		}
	}
}

// flush writes what is already queued (a final error, session.replaced)
// before the socket closes.
func (c *conn) flush() {
	for {
		select {
		case q := <-c.out:
			c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if c.ws.WriteMessage(websocket.TextMessage, c.bytes(q)) != nil {
				return
			}
		default:
			c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			return
		}
	}
}

// read returns the next message. A frame that is not a valid envelope is
// answered with an error and skipped; an oversized or binary one ends the
// connection (the protocol is JSON text only).
func (c *conn) read() (Message, error) {
	for {
		kind, b, err := c.ws.ReadMessage()
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
			c.ws.SetReadDeadline(time.Now().Add(pongWait))
		}
		if !c.limiter.Allow() {
			c.sendError("", protoErr(CodeRateLimited, "too many messages; slow down"))
			continue
		}
		m, err := decodeEnvelope(b)
		if err != nil {
			c.sendError("", protoErr(CodeBadMessage, "a message is a JSON object with a type, an optional id and data, and nothing else"))
			continue
		}
		return m, nil
	}
}

var errBinaryFrame = errors.New("binary frame")

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
