// Package node assembles one Cloud Window node: store, accounts, catalog,
// queue, SFU, recorder, signaling and the HTTP server that carries them.
package node

import (
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"cloudwindow/auth"
	"cloudwindow/documents"
	"cloudwindow/media"
	"cloudwindow/signaling"
)

// Config is everything a node needs; cmd/cloudwindow fills it from flags,
// environment and a YAML file.
type Config struct {
	Addr         string // HTTP listen address, e.g. ":8080"
	DataDir      string // SQLite file, recordings, documents
	DatabaseURL  string // postgres://… for a cluster; default: SQLite in DataDir
	RedisURL     string // redis://… joins a cluster: shared queue and bus; default: alone, in memory
	RedisPrefix  string // key and channel prefix, so clusters can share a Redis; default "cloudwindow:"
	Demo         bool   // create the demo accounts
	TLSCert      string
	TLSKey       string
	NodeName     string
	UDPPort      int      // ICE UDP mux port
	TCPPort      int      // ICE-TCP port; -1 disables
	PublicIPs    []string // NAT 1:1 addresses announced to clients
	LoopbackOnly bool     // media on 127.0.0.1 only (tests, single-box demos)
	ICEServers   []signaling.ICEServer
	TURNSecret   string // shared with coturn: clients get short-lived TURN credentials
	OpeningHours string

	// AdaptDownlink estimates each receiver's downlink, caps senders to it and
	// pauses video (never audio) to a receiver whose link cannot carry it.
	AdaptDownlink bool
	Adapt         media.AdaptConfig // tuning of AdaptDownlink (tests); zero takes defaults

	ConnLimits ConnLimits

	RingTimeout   time.Duration
	WrapUpTimeout time.Duration
	ResumeGrace   time.Duration
	Retention     time.Duration // recordings older than this are deleted; 0 keeps them
	NoRecording   bool          // calls are not recorded (benchmarks of the recorder's cost only)
	TicketSecret  string        // signs recording play tickets; shared by a cluster's nodes

	// Accounts and tokens.
	TrustedProxies       []netip.Prefix   // load balancers whose X-Forwarded-For is believed
	LoginLimits          auth.LoginLimits // zero fields take the defaults
	KeyEncryptionKey     string           // base64 AES-256 keys sealing the signing keys, current first
	KeyEncryptionKeyFile string           // or a file holding them; default: generated in DataDir/secrets
	SessionCheckInterval time.Duration    // how often live sessions are checked against their account
	// RequireRecording refuses to start a call that can't be recorded;
	// by default the call goes on and the agent is told it isn't recorded.
	RequireRecording bool
	// RecordingRetry is how long a recording stopped by a failure waits
	// before it tries a new part; default 5 s.
	RecordingRetry time.Duration
	// DiskReserve is the free space (bytes) on the data directory's volume
	// kept for recordings and the store: uploads stop and /readyz fails
	// below it. 0 keeps none (the command's default is 1 GiB).
	DiskReserve int64
	Uploads     documents.Limits // per call and station; zero fields take the defaults

	Location      *time.Location // the center's time zone: due dates, case numbers
	Holidays      []string       // public holidays, "2006-01-02", skipped in due dates
	ExtraWorkdays []string       // weekend days worked instead (调休)

	Logger *slog.Logger
	Out    io.Writer // where the demo accounts and a first admin password are printed; default stdout
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "cloudwindow.db")
	}
	if c.RedisPrefix == "" {
		c.RedisPrefix = "cloudwindow:"
	}
	if c.NodeName == "" {
		c.NodeName = "node-1"
	}
	if c.OpeningHours == "" {
		c.OpeningHours = "工作日 8:30–11:30，13:30–17:00"
	}
	if c.RingTimeout <= 0 {
		c.RingTimeout = 20 * time.Second
	}
	if c.WrapUpTimeout <= 0 {
		c.WrapUpTimeout = 60 * time.Second
	}
	if c.ResumeGrace <= 0 {
		c.ResumeGrace = 60 * time.Second
	}
	c.ConnLimits.setDefaults()
	if c.Location == nil {
		c.Location = time.Local
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// ConnLimits bound what one client, or all of them together, can hold open.
// Zero values take defaults: the HTTP ones here, the others in the
// documents and signaling packages.
type ConnLimits struct {
	HTTPReadTimeout time.Duration // a whole request, body included (chunk uploads get ChunkTimeout); default 30 s
	HTTPIdleTimeout time.Duration // an idle keep-alive connection is closed after this; default 30 s
	ChunkTimeout    time.Duration // reading one upload chunk; default 2 min
	MaxConnections  int           // open TCP connections on the HTTP port; default 10000

	WSAuthTimeout    time.Duration // a new signaling socket must authenticate within this; default 10 s
	WSMaxPerAddress  int           // signaling sockets per client address; default 20
	WSMaxConnections int           // signaling sockets on this node; default 5000
}

func (l *ConnLimits) setDefaults() {
	if l.HTTPReadTimeout <= 0 {
		l.HTTPReadTimeout = 30 * time.Second
	}
	if l.HTTPIdleTimeout <= 0 {
		l.HTTPIdleTimeout = 30 * time.Second
	}
	if l.MaxConnections <= 0 {
		l.MaxConnections = 10000
	}
}
