package node

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"golang.org/x/net/netutil"

	"cloudwindow/appointments"
	"cloudwindow/audit"
	"cloudwindow/auth"
	"cloudwindow/bus"
	"cloudwindow/calls"
	"cloudwindow/cases"
	"cloudwindow/catalog"
	"cloudwindow/diskspace"
	"cloudwindow/documents"
	"cloudwindow/liveness"
	"cloudwindow/media"
	"cloudwindow/objectstore"
	"cloudwindow/queue"
	"cloudwindow/recordings"
	"cloudwindow/rectify"
	"cloudwindow/sessionstate"
	"cloudwindow/signaling"
	"cloudwindow/stationhealth"
	"cloudwindow/stationlink"
	"cloudwindow/stats"
	"cloudwindow/store"
)

const demoAccounts = `Demo accounts (password "demo"):
  station1     station  东海社区远程帮办点 (community)
  island1      station  鲁家峙岛远程帮办点 (island site)
  agent1       agent    王芳: 医保 / 社保 / 长护险
  agent2       agent    李明: generalist, all items
  backoffice1  agent    赵静: back office (backoffice skill), consulted during calls
  supervisor1  supervisor
  admin        admin
  helper1      helper   东海渔嫂: station helper (代办员), signs in on the kiosk with PIN 2468
Station kiosk: /station/   Agent and supervisor console: /console/
`

// Node is a running Cloud Window node.
type Node struct {
	cfg       Config
	log       *slog.Logger
	db        *store.DB
	Auth      *auth.Service
	Catalog   *catalog.Service
	Calls     *calls.Store
	Cases     *cases.Service
	Rectify   *rectify.Service
	Stats     *stats.Service
	Health    *stationhealth.Store
	Links     *stationlink.Store
	Bookings  *appointments.Service
	Documents *documents.Service
	Audit     *audit.Log
	SFU       *media.SFU
	Recorder  *recordings.Recorder
	objects   *objectstore.Store // recordings' object store; nil: the data directory
	Signaling *signaling.Server
	relay     callRelay // the services' hooks into Signaling
	registry  *prometheus.Registry
	disk      *diskspace.Guard
	redis     *redis.Client       // nil when running alone
	bus       bus.Bus             // nil when running alone
	heartbeat *liveness.Heartbeat // nil when running alone
	stopBeat  func()              // stops the heartbeat and waits for it

	listener net.Listener
	http     *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	once     sync.Once
}

// Start opens the store, prepares every service and starts serving HTTP.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	cfg.setDefaults()
	n := &Node{cfg: cfg, log: cfg.Logger, registry: prometheus.NewRegistry()}
	n.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := n.openDisk(); err != nil {
		return nil, err
	}
	if err := n.open(ctx); err != nil {
		n.closeServices()
		return nil, err
	}
	if err := n.listen(); err != nil {
		n.closeServices()
		return nil, err
	}
	return n, nil
}

func (n *Node) open(ctx context.Context) error {
	db, err := store.Open(ctx, n.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	n.db = db
	n.Audit = audit.New(db)
	n.Calls = calls.NewStore(db)
	if err := n.closeLostCalls(ctx); err != nil {
		return err
	}
	n.Rectify = rectify.NewService(db, n.Audit, time.Now, n.log)
	n.Health = stationhealth.NewStore(db, 0)
	n.Links = stationlink.NewStore(db)
	authOpts, err := n.authOptions()
	if err != nil {
		return err
	}
	if n.Auth, err = auth.NewService(db, authOpts); err != nil {
		return fmt.Errorf("start accounts: %w", err)
	}
	if err := n.seedAccounts(ctx); err != nil {
		return err
	}
	n.Catalog = catalog.NewService(db, n.log)
	if err := n.Catalog.Seed(ctx); err != nil {
		return fmt.Errorf("seed catalog: %w", err)
	}
	n.Stats = stats.NewService(db, n.Audit, n.cfg.Location, time.Now, stats.CategoryNames(n.Catalog.Categories()), n.log)
	if err := n.openCasework(); err != nil {
		return err
	}
	if err := n.openAppointments(); err != nil {
		return err
	}
	if err := n.openMedia(ctx); err != nil {
		return err
	}
	n.runAppointments()
	if err := n.openCluster(ctx); err != nil {
		return err
	}
	sessions, nodes := n.sessionDeps()
	n.Signaling = signaling.New(signaling.Config{
		Node: n.cfg.NodeName, ResumeGrace: n.cfg.ResumeGrace, WrapUpTimeout: n.cfg.WrapUpTimeout, TransferTimeout: n.cfg.RingTimeout,
		ICEServers: n.cfg.ICEServers, TURNSecret: n.cfg.TURNSecret, OpeningHours: n.cfg.OpeningHours,
		AuthTimeout: n.cfg.ConnLimits.WSAuthTimeout, MaxConnsPerAddress: n.cfg.ConnLimits.WSMaxPerAddress,
		MaxConns:             n.cfg.ConnLimits.WSMaxConnections,
		SessionCheckInterval: n.cfg.SessionCheckInterval,
		RequireRecording:     n.cfg.RequireRecording,
		GuestInviteTTL:       n.cfg.GuestInviteTTL,
		PreconnectMedia:      n.cfg.PreconnectMedia,
		StandbyBeforeQueue:   n.cfg.StandbyBeforeQueue,
	}, signaling.Deps{
		Verifier: n.Auth, Catalog: n.Catalog, NewQueue: n.newQueue, SFU: n.SFU, Recorder: n.recorder(),
		Calls: n.Calls, Cases: n.Cases, Rectifications: n.Rectify, Health: n.Health, Links: n.Links,
		Appointments: n.Bookings, Audit: n.Audit, Helpers: n.Auth, CaseHelpers: n.Cases,
		Bus: n.bus, Sessions: sessions, Nodes: nodes, Registerer: n.registry, Logger: n.log,
	})
	n.relay.connect(n.Signaling)
	return nil
}

// closeLostCalls ends the calls this node's last run left open: it was
// killed, or lost power, before it could end them. Until then they would
// list as live, and their cases could not be wrapped up. Other nodes' calls
// are theirs: each node of a cluster has its own name.
func (n *Node) closeLostCalls(ctx context.Context) error {
	ids, err := n.Calls.CloseLost(ctx, n.cfg.NodeName, time.Now())
	if err != nil {
		return fmt.Errorf("close calls left open by the last run: %w", err)
	}
	if len(ids) > 0 {
		n.log.Warn("closed calls left open by the last run", "node", n.cfg.NodeName, "calls", len(ids), "reason", calls.EndReasonNodeLost)
	}
	return nil
}

// openCluster connects to Redis when the node is part of a cluster.
func (n *Node) openCluster(ctx context.Context) error {
	if n.cfg.RedisURL == "" {
		return nil
	}
	opts, err := redis.ParseURL(n.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("--redis-url: %w", err)
	}
	n.redis = redis.NewClient(opts)
	if err := n.redis.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("reach redis: %w", err)
	}
	n.bus = bus.NewRedis(n.redis, n.cfg.RedisPrefix, n.log)
	n.heartbeat = liveness.NewHeartbeat(n.redis, n.cfg.RedisPrefix, n.cfg.NodeName)
	bg, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.heartbeat.Run(bg)
	}()
	n.stopBeat = func() { cancel(); <-done }
	return nil
}

// sessionDeps are where signaling keeps sessions for resume and learns
// which nodes run: Redis in a cluster, memory alone.
func (n *Node) sessionDeps() (sessionstate.Store, signaling.Liveness) {
	if n.redis == nil {
		return sessionstate.NewMemory(), nil
	}
	return sessionstate.NewRedis(n.redis, n.cfg.RedisPrefix), n.heartbeat
}

// newQueue is the queue signaling feeds: in memory when alone, led by one
// node of the cluster otherwise.
func (n *Node) newQueue(l queue.Listener) queue.Queue {
	cfg := queue.Config{RingTimeout: n.cfg.RingTimeout, WrapUpTimeout: n.cfg.WrapUpTimeout, TicketAnswerTimeout: n.cfg.TicketAnswerTimeout, Logger: n.log}
	if n.bus == nil {
		return queue.NewLocal(cfg, l)
	}
	return queue.NewCluster(cfg, n.bus, queue.NewRedisLocker(n.redis, n.cfg.RedisPrefix+"queue-leader"), n.cfg.NodeName, l)
}

// openCasework starts cases and documents. Their hooks go through the
// relay to signaling, which starts later.
func (n *Node) openCasework() error {
	cal, err := cases.NewCalendar(n.cfg.Holidays, n.cfg.ExtraWorkdays)
	if err != nil {
		return fmt.Errorf("holiday calendar: %w", err)
	}
	n.Cases = cases.NewService(n.db, n.Catalog, n.Audit, time.Now, cases.Options{
		Calendar: cal, Location: n.cfg.Location, Logger: n.log,
		OnEvent: n.relay.caseEvent, OnForm: n.relay.formPushed, OnSignature: n.relay.formSigned,
	})
	n.Documents, err = documents.New(documents.Config{
		DataDir: n.cfg.DataDir, DB: n.db, Calls: n.Calls, Cases: n.Cases, Audit: n.Audit, Logger: n.log,
		ChunkTimeout: n.cfg.ConnLimits.ChunkTimeout,
		Limits:       n.cfg.Uploads, Space: n.disk,
		OnDocument: n.relay.documentChanged,
	})
	if err != nil {
		return fmt.Errorf("start documents: %w", err)
	}
	return nil
}

func (n *Node) openMedia(ctx context.Context) error {
	sfu, err := media.New(media.Config{
		UDPPort: n.cfg.UDPPort, UDPPorts: n.cfg.UDPPorts, TCPPort: n.cfg.TCPPort, PublicIPs: n.cfg.PublicIPs,
		LoopbackOnly: n.cfg.LoopbackOnly, Registerer: n.registry, Logger: n.log,
		AdaptDownlink: n.cfg.AdaptDownlink, Adapt: n.cfg.Adapt, AudioRedundancy: n.cfg.AudioRedundancy, VideoFEC: n.cfg.VideoFEC,
	})
	if err != nil {
		return fmt.Errorf("start media: %w", err)
	}
	n.SFU = sfu
	objects, err := n.openRecordingStorage(ctx)
	if err != nil {
		return err
	}
	rec, err := recordings.New(recordings.Config{
		Dir: n.cfg.DataDir, DB: n.db, Registerer: n.registry, Logger: n.log,
		Retention: n.cfg.Retention, Node: n.cfg.NodeName, TicketSecret: n.cfg.TicketSecret,
		FreeSpace: n.disk.Available, RetryInterval: n.cfg.RecordingRetry,
		OnStatus: n.relay.recordingStatus, Storage: objects,
	})
	if err != nil {
		return fmt.Errorf("start recorder: %w", err)
	}
	n.Recorder = rec
	if err := rec.Repair(ctx); err != nil {
		n.log.Error("repair recordings", "err", err)
	}
	bg, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(3)
	go func() {
		defer n.wg.Done()
		rec.RunRetention(bg)
	}()
	go func() {
		defer n.wg.Done()
		rec.RunUploads(bg)
	}()
	go func() {
		defer n.wg.Done()
		n.purgeUploads(bg)
	}()
	return nil
}

// openRecordingStorage connects to the object store of RecordingsURL;
// nil (the data directory) without one.
func (n *Node) openRecordingStorage(ctx context.Context) (recordings.Storage, error) {
	if n.cfg.RecordingsURL == "" {
		return nil, nil // a nil *objectstore.Store would be a non-nil Storage
	}
	s, err := objectstore.New(objectstore.Config{
		URL: n.cfg.RecordingsURL, AccessKey: n.cfg.RecordingsAccessKey, SecretKeyFile: n.cfg.RecordingsSecretKeyFile,
	})
	if err != nil {
		return nil, fmt.Errorf("recordings storage: %w", err)
	}
	n.objects = s
	// A store that is down now must not keep the node from taking calls:
	// parts wait on disk and their uploads retry.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.EnsureBucket(ctx); err != nil {
		n.log.Error("recordings object store unreachable; finished parts stay on disk until it answers", "store", s.String(), "err", err)
	} else {
		n.log.Info("recordings are kept in an object store", "store", s.String())
	}
	return s, nil
}

// recorder is the call recorder signaling uses; nil when recording is off.
func (n *Node) recorder() signaling.Recorder {
	if n.cfg.NoRecording {
		return nil
	}
	return n.Recorder
}

// purgeUploads drops uploads abandoned for a day, once an hour.
func (n *Node) purgeUploads(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := n.Documents.PurgeUploads(ctx, time.Now().Add(-24*time.Hour)); err != nil {
				n.log.Warn("purge abandoned uploads", "err", err)
			}
		}
	}
}

func (n *Node) seedAccounts(ctx context.Context) error {
	if n.cfg.Demo {
		if err := n.Auth.SeedDemo(ctx); err != nil {
			return fmt.Errorf("create demo accounts: %w", err)
		}
		if err := n.Links.SeedDemo(ctx); err != nil {
			return err
		}
		fmt.Fprint(n.cfg.Out, demoAccounts)
		return nil
	}
	password, created, err := n.Auth.EnsureAdmin(ctx)
	if err != nil {
		return fmt.Errorf("create admin: %w", err)
	}
	if created {
		// Printed once, on the first start only: the operator must keep it.
		fmt.Fprintf(n.cfg.Out, "Created account \"admin\" with password: %s\n", password)
	}
	return nil
}

func (n *Node) listen() error {
	ln, err := net.Listen("tcp", n.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", n.cfg.Addr, err)
	}
	lim := n.cfg.ConnLimits
	// Past the limit, new connections wait in the kernel's backlog until
	// one closes, instead of taking descriptors and memory from those served.
	ln = netutil.LimitListener(ln, lim.MaxConnections)
	n.listener = ln
	n.http = &http.Server{
		Handler:           n.routes(),
		ReadHeaderTimeout: min(10*time.Second, lim.HTTPReadTimeout),
		ReadTimeout:       lim.HTTPReadTimeout,
		IdleTimeout:       lim.HTTPIdleTimeout,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	tlsOn := n.cfg.TLSCert != ""
	if tlsOn {
		cert, err := tls.LoadX509KeyPair(n.cfg.TLSCert, n.cfg.TLSKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		n.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var err error
		if tlsOn {
			err = n.http.ServeTLS(ln, "", "")
		} else {
			err = n.http.Serve(ln)
		}
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.log.Error("http server", "err", err)
		}
	}()
	n.log.Info("serving", "url", n.URL(), "media_udp_port", n.SFU.UDPPort(), "media_tcp_port", n.SFU.TCPPort())
	return nil
}

// URL is the node's base URL, e.g. http://127.0.0.1:8080.
func (n *Node) URL() string {
	scheme := "http"
	if n.cfg.TLSCert != "" {
		scheme = "https"
	}
	addr := n.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("%s://%s", scheme, net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close shuts the node down gracefully: no new requests, every call ended
// and told why, recordings finalised, then the store closed.
func (n *Node) Close() error {
	n.once.Do(func() {
		if n.http != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			n.http.Shutdown(ctx)
			cancel()
		}
		n.closeServices()
	})
	return nil
}

func (n *Node) closeServices() {
	if n.Signaling != nil {
		n.Signaling.Close()
	}
	if n.bus != nil {
		n.bus.Close()
	}
	if n.stopBeat != nil {
		n.stopBeat()
	}
	if n.redis != nil {
		n.redis.Close()
	}
	if n.cancel != nil {
		n.cancel()
	}
	if n.SFU != nil {
		n.SFU.Close()
	}
	if n.Recorder != nil {
		n.Recorder.Close()
	}
	n.wg.Wait()
	if n.Cases != nil {
		n.Cases.Close() // after signaling: no call starts any more
	}
	if n.objects != nil {
		n.objects.Close()
	}
	if n.db != nil {
		n.db.Close()
	}
}
