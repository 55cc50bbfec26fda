package signaling

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"cloudwindow/auth"
	"cloudwindow/bus"
	"cloudwindow/calls"
	"cloudwindow/catalog"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
	"cloudwindow/media"
	"cloudwindow/queue"
	"cloudwindow/sessionstate"
)

// Verifier turns a token into an identity, and tells whether a signed-in
// session may go on (the auth service).
type Verifier interface {
	Verify(ctx context.Context, token string) (identity.Identity, error)
	// ActiveSession checks the account and login session afresh.
	ActiveSession(ctx context.Context, id identity.Identity) error
	// Forget drops what was cached about sessions another node ended.
	Forget(e auth.SessionsEnded)
}

// Catalog looks up service items (the catalog service).
type Catalog interface {
	Item(ctx context.Context, id string) (catalog.Item, error)
}

// Recorder records calls (the recordings service); nil disables recording.
type Recorder interface {
	SinkFactory(call calls.Call) media.SinkFactory
	// Unavailable tells why a call starting now can't be recorded (a
	// failure code such as disk_full); empty when it can.
	Unavailable() string
}

// Config holds the signaling settings.
type Config struct {
	Node          string        // this node's name, kept with each call
	ResumeGrace   time.Duration // how long a dropped session waits for its client; default DefaultResumeGrace
	WrapUpTimeout time.Duration // the queue's wrap-up timeout, shown to agents
	ICEServers    []ICEServer   // STUN/TURN servers for clients
	TURNSecret    string        // shared with coturn (use-auth-secret); empty: credentials as configured
	OpeningHours  string        // told to stations when no agent is online
	// TransferTimeout is how long a transferred call waits for an agent
	// before it comes back (the queue's ring timeout; default 20s).
	TransferTimeout time.Duration

	// AuthTimeout is how long a new socket has to authenticate; it does not
	// move until welcome. Default DefaultAuthTimeout.
	AuthTimeout time.Duration
	// MaxConnsPerAddress and MaxConns cap open sockets (authenticated or
	// not) per client address and in total; defaults DefaultMaxConnsPerAddress
	// and DefaultMaxConns.
	MaxConnsPerAddress int
	MaxConns           int
	// SessionCheckInterval is how often every session's account and login
	// session are checked again (DefaultSessionCheckInterval if 0).
	SessionCheckInterval time.Duration
	// RequireRecording refuses to start calls the recorder can't record;
	// by default they go on and the agent is told.
	RequireRecording bool
	// GuestInviteTTL is how long a guest invitation may be used; default
	// DefaultGuestInviteTTL.
	GuestInviteTTL time.Duration
	// PreconnectMedia takes standing media connections made ahead of a
	// call (call_id "standby"), adopted by the call on accept.
	PreconnectMedia bool
	// StandbyBeforeQueue is how long a station's standing connection made
	// before it queues may wait for its request (DefaultStandbyBeforeQueue
	// if 0).
	StandbyBeforeQueue time.Duration
}

// Defaults for Config.
const (
	DefaultResumeGrace = 60 * time.Second
	DefaultAuthTimeout = 10 * time.Second
	// A kiosk connects while it checks its link, seconds before it queues.
	DefaultStandbyBeforeQueue = time.Minute
)

// Deps are the services signaling drives.
type Deps struct {
	Verifier       Verifier
	Catalog        Catalog
	NewQueue       func(queue.Listener) queue.Queue // the Server is the queue's listener
	SFU            *media.SFU
	Calls          *calls.Store
	Cases          Cases
	Rectifications Rectifications // nil: bad ratings are not followed up
	Recorder       Recorder
	Health         StationHealth // nil: heartbeats are accepted and not kept
	Links          StationLinks  // nil: every station is standard, checks are not kept
	Appointments   Appointments  // nil: call requests naming a booking are refused
	Audit          Auditor       // nil: supervision steps are not audited
	Helpers        HelperChecker // nil: station helpers can't sign in
	CaseHelpers    CaseHelpers   // nil: helpers are not recorded on cases
	Bus            bus.Bus       // nil on a node running alone
	// Sessions keeps every session's resume state (nil: in memory); in a
	// cluster it is shared, so that any node can resume any session.
	Sessions   sessionstate.Store
	Nodes      Liveness              // which nodes of the cluster run; nil: all of them
	Registerer prometheus.Registerer // may be nil
	Logger     *slog.Logger          // nil: logs nowhere
}

// Server accepts signaling WebSockets. It implements queue.Listener.
type Server struct {
	cfg      Config
	deps     Deps
	log      *slog.Logger
	upgrader websocket.Upgrader
	keep     *keepalive // pings every signed-in socket
	handlers map[string]handler
	queue    queue.Queue
	events   *eventWriter
	stats    *statsBroadcaster
	metrics  *metrics
	admit    *admission

	unsubscribe func() // cluster: deliveries from other nodes
	stopHandler func() // cluster: station messages forwarded to this node
	unsubEnded  func() // cluster: sessions other nodes ended
	unsubMoved  func() // cluster: sessions other nodes resumed
	stopCheck   chan struct{}
	checker     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	sessions  map[string]*session // by account id
	conns     sync.WaitGroup
	callsByID map[string]*call

	saver     *recordSaver         // sessions whose resume state is due to be saved
	deadSince map[string]time.Time // nodes with open calls found dead, since when (sweep.go)

	left    leftovers  // what ended sessions left in a queue that could not be reached
	tickets ticketBook // the tickets of stations signed in here
	helpers helperDesk // the helpers signed in at kiosks here
	guests  guestBook  // the guest invitations of calls here
}

// New returns a Server. Call Close to end every session and call.
func New(cfg Config, deps Deps) *Server {
	if cfg.ResumeGrace <= 0 {
		cfg.ResumeGrace = DefaultResumeGrace
	}
	if cfg.TransferTimeout <= 0 {
		cfg.TransferTimeout = queue.DefaultRingTimeout
	}
	if cfg.GuestInviteTTL <= 0 {
		cfg.GuestInviteTTL = DefaultGuestInviteTTL
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = DefaultAuthTimeout
	}
	if cfg.SessionCheckInterval <= 0 {
		cfg.SessionCheckInterval = DefaultSessionCheckInterval
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Sessions == nil {
		deps.Sessions = sessionstate.NewMemory()
	}
	if deps.Nodes == nil {
		deps.Nodes = allAlive{}
	}
	s := &Server{
		cfg:       cfg,
		deps:      deps,
		log:       deps.Logger,
		upgrader:  newUpgrader(),
		keep:      newKeepalive(pingInterval),
		sessions:  map[string]*session{},
		callsByID: map[string]*call{},
		stopCheck: make(chan struct{}),
		saver:     newRecordSaver(),
		deadSince: map[string]time.Time{},
	}
	// In dependency order: the queue may call the Server back at once, so
	// what its callbacks use comes first.
	s.metrics = newMetrics(deps.Registerer)
	s.admit = newAdmission(cfg.MaxConnsPerAddress, cfg.MaxConns)
	s.handlers = s.routes()
	s.events = newEventWriter(deps.Calls, s.log)
	s.stats = newStatsBroadcaster(s.broadcastStats)
	s.queue = deps.NewQueue(s)
	s.startCluster()
	s.checker.Add(1)
	go func() {
		defer s.checker.Done()
		s.checkSessions(cfg.SessionCheckInterval, s.stopCheck)
	}()
	s.checker.Add(1)
	go func() {
		defer s.checker.Done()
		s.saveRecords(s.stopCheck)
	}()
	if deps.Bus != nil {
		s.checker.Add(1)
		go func() {
			defer s.checker.Done()
			s.sweepLostNodes(s.stopCheck)
		}()
	}
	return s
}

// ServeHTTP upgrades to a WebSocket and signs it in; serve then reads it on
// a goroutine of its own and this handler returns, so that the HTTP
// server's state for the request (its goroutine, buffers and context) is
// not kept for as long as a kiosk stays connected.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := httpapi.ClientIP(r)
	if ok, reason := s.admit.admit(addr); !ok {
		s.metrics.refused.WithLabelValues(reason).Inc()
		refuse(w, reason)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.admit.release(addr)
		return // the upgrader has answered
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ws.Close()
		s.admit.release(addr)
		return
	}
	s.conns.Add(1)
	s.mu.Unlock()

	c := newConn(ws, s.log, r.RemoteAddr)
	sess := s.authenticate(r.Context(), c)
	if sess == nil {
		s.hangUp(nil, c, addr)
		return
	}
	c.live = true
	ws.SetPongHandler(func(p string) error {
		c.pong(p)
		return ws.SetReadDeadline(time.Now().Add(c.pongWait))
	})
	ws.SetReadDeadline(time.Now().Add(c.pongWait))
	c.measure()
	s.keep.add(c)
	go s.serve(sess, c, addr)
}

// serve reads and handles sess's messages on c until the socket closes or
// the session ends. The HTTP handler has returned: nothing here may use its
// request or context. Server.Close waits for it (s.conns).
func (s *Server) serve(sess *session, c *conn, addr string) {
	for {
		m, err := c.read()
		if err != nil {
			break
		}
		if !s.dispatch(sess, m) {
			break
		}
	}
	s.hangUp(sess, c, addr)
}

// hangUp ends c: sess (nil if it never signed in) keeps its place for the
// resume grace, what is queued is written, and the socket closes.
func (s *Server) hangUp(sess *session, c *conn, addr string) {
	s.keep.remove(c)
	if sess != nil {
		sess.detach(c, s.cfg.ResumeGrace, func() { s.expire(sess) })
		if sess.ident.Role == identity.RoleStation && sess.stillDetached() {
			s.stationGone(sess)
		}
	}
	c.close()
	<-c.done()
	s.admit.release(addr)
	s.conns.Done()
}

// Close ends every call and session; clients are told the server is
// shutting down.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	active := make([]*call, 0, len(s.callsByID))
	for _, c := range s.callsByID {
		active = append(active, c)
	}
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, c := range active {
		s.endCall(c, "shutdown", "server")
	}
	for _, sess := range sessions {
		if old := sess.attach(nil, ""); old != nil {
			old.close()
		}
	}
	s.conns.Wait()
	s.keep.close()
	close(s.stopCheck)
	s.checker.Wait()
	s.stopCluster()
	s.queue.Close()
	s.stats.close()
	s.events.close()
}

func newSecret(prefix string) string {
	b := make([]byte, 16)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
