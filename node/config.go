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
	_ "time/tzdata" // the center's zone on machines without the tz database

	"cloudwindow/auth"
	"cloudwindow/diskspace"
	"cloudwindow/documents"
	"cloudwindow/media"
	"cloudwindow/queue"
	"cloudwindow/recordings"
	"cloudwindow/signaling"
)

// Config is everything a node needs; cmd/cloudwindow fills it from flags,
// environment and a YAML file.
type Config struct {
	Addr        string // HTTP listen address, e.g. ":8080"
	DataDir     string // SQLite file, recordings, documents
	DatabaseURL string // postgres://… for a cluster; default: SQLite in DataDir
	RedisURL    string // redis://… joins a cluster: shared queue and bus; default: alone, in memory
	RedisPrefix string // key and channel prefix, so clusters can share a Redis; default "cloudwindow:"
	Demo        bool   // create the demo accounts
	// BcryptCost hashes passwords; 0 is bcrypt's default. Test nodes lower
	// it, since every node they start hashes the demo accounts' passwords.
	BcryptCost int
	TLSCert    string
	TLSKey     string
	NodeName   string
	UDPPort    int // ICE UDP mux port
	// UDPPorts gives each media connection its own UDP port from this range
	// instead of the shared UDPPort (zero: off); see media.Config.UDPPorts.
	UDPPorts     media.PortRange
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
	// AudioRedundancy is the most earlier Opus frames (0–3) added to each audio
	// packet as RED for receivers that take it, chosen by their loss; 0 is off.
	AudioRedundancy int
	// VideoFEC sends video FEC (ULPFEC) to receivers whose link from the node
	// loses packets.
	VideoFEC bool
	// PreconnectMedia lets ready agents and queued stations keep a media
	// connection up ahead of the call, so that video flows at accept.
	PreconnectMedia bool
	// StandbyBeforeQueue bounds how long a station's standing connection
	// made before it queues waits for its request (tests); zero takes the
	// default.
	StandbyBeforeQueue time.Duration

	ConnLimits ConnLimits

	RingTimeout   time.Duration
	WrapUpTimeout time.Duration
	// TicketAnswerTimeout is how long a called station ticket waits for its
	// resident at the kiosk before it goes back (once) or lapses.
	TicketAnswerTimeout time.Duration
	ResumeGrace         time.Duration
	// GuestInviteTTL is how long an agent's invitation of a remote guest
	// (family member, interpreter) may be used.
	GuestInviteTTL time.Duration
	Retention      time.Duration // recordings older than this are deleted; 0 keeps them
	NoRecording    bool          // calls are not recorded (benchmarks of the recorder's cost only)
	TicketSecret   string        // signs recording play tickets; shared by a cluster's nodes
	// RecordingsURL, s3://host[:port]/bucket[/prefix], keeps finished
	// recordings in an S3-compatible object store; empty keeps them in
	// DataDir. The credentials are RecordingsAccessKey with the secret in
	// RecordingsSecretKeyFile, or else the usual AWS_* / MINIO_* variables.
	RecordingsURL           string
	RecordingsAccessKey     string
	RecordingsSecretKeyFile string

	// Accounts and tokens.
	TrustedProxies       []netip.Prefix   // load balancers whose X-Forwarded-For is believed
	LoginLimits          auth.LoginLimits // zero fields take the defaults
	KeyEncryptionKey     string           // base64 AES-256 keys sealing the signing keys, current first
	KeyEncryptionKeyFile string           // or a file holding them; default: generated in DataDir/secrets
	SessionCheckInterval time.Duration    // how often live sessions are checked against their account
	// RequireRecording refuses to start a call that can't be recorded;
	// by default the call goes on and the agent is told it isn't recorded.
	RequireRecording bool
	// HelperPIN opens the kiosks' self-check screen for their helpers;
	// empty keeps it closed.
	HelperPIN string
	// RecordingRetry is how long a recording stopped by a failure waits
	// before it tries a new part.
	RecordingRetry time.Duration
	// DiskReserve is the free space (bytes) on the data directory's volume
	// kept for recordings and the store: uploads stop and /readyz fails
	// below it. 0 keeps none.
	DiskReserve int64
	Uploads     documents.Limits // per call and station; zero fields take the defaults

	Location      *time.Location // the center's time zone: due dates, case numbers
	Holidays      []string       // public holidays, "2006-01-02", skipped in due dates
	ExtraWorkdays []string       // weekend days worked instead (调休)

	Logger *slog.Logger // every service logs here; default slog.Default()
	Out    io.Writer    // where the demo accounts and a first admin password are printed; default stdout
}

// DefaultConfig is the configuration of a node started with no flags, and
// the one place its defaults are written: the command's flags and their
// help take their defaults from it, and Start fills a Config's empty fields
// from it. Fields where zero means "off" or "pick a free port" (ports,
// Retention, DiskReserve) are taken from it only by the command.
func DefaultConfig() Config {
	return Config{
		Addr:            ":8080",
		DataDir:         "data",
		RedisPrefix:     "cloudwindow:",
		NodeName:        hostname(),
		UDPPort:         50000,
		UDPPorts:        media.PortRange{}, // none: all media on UDPPort
		TCPPort:         50000,
		AdaptDownlink:   true,
		AudioRedundancy: 3,
		VideoFEC:        true,
		PreconnectMedia: true,
		OpeningHours:    "工作日 8:30–11:30，13:30–17:00",
		ConnLimits: ConnLimits{
			HTTPReadTimeout:  30 * time.Second,
			HTTPIdleTimeout:  30 * time.Second,
			ChunkTimeout:     documents.DefaultChunkTimeout,
			MaxConnections:   10000,
			WSAuthTimeout:    signaling.DefaultAuthTimeout,
			WSMaxPerAddress:  signaling.DefaultMaxConnsPerAddress,
			WSMaxConnections: signaling.DefaultMaxConns,
		},
		RingTimeout:          queue.DefaultRingTimeout,
		WrapUpTimeout:        queue.DefaultWrapUpTimeout,
		TicketAnswerTimeout:  queue.DefaultTicketAnswer,
		ResumeGrace:          signaling.DefaultResumeGrace,
		GuestInviteTTL:       signaling.DefaultGuestInviteTTL,
		LoginLimits:          auth.DefaultLoginLimits(),
		SessionCheckInterval: signaling.DefaultSessionCheckInterval,
		RecordingRetry:       recordings.DefaultRetryInterval,
		DiskReserve:          diskspace.DefaultReserve,
		Uploads:              documents.DefaultLimits(),
		Location:             centerZone(),
	}
}

// centerZone is the default time zone of the center; the machine's own
// where the zone database lacks it.
func centerZone() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.Local
	}
	return loc
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "node-1"
	}
	return h
}

// setDefaults fills the empty fields a node can't run without from
// DefaultConfig. A nil Location stays the machine's zone (see cases).
func (c *Config) setDefaults() {
	d := DefaultConfig()
	orDefault(&c.Addr, d.Addr)
	orDefault(&c.DataDir, d.DataDir)
	orDefault(&c.DatabaseURL, filepath.Join(c.DataDir, "cloudwindow.db"))
	orDefault(&c.RedisPrefix, d.RedisPrefix)
	orDefault(&c.NodeName, d.NodeName)
	orDefault(&c.OpeningHours, d.OpeningHours)
	positiveOr(&c.RingTimeout, d.RingTimeout)
	positiveOr(&c.WrapUpTimeout, d.WrapUpTimeout)
	positiveOr(&c.TicketAnswerTimeout, d.TicketAnswerTimeout)
	positiveOr(&c.ResumeGrace, d.ResumeGrace)
	positiveOr(&c.GuestInviteTTL, d.GuestInviteTTL)
	l, dl := &c.ConnLimits, d.ConnLimits
	positiveOr(&l.HTTPReadTimeout, dl.HTTPReadTimeout)
	positiveOr(&l.HTTPIdleTimeout, dl.HTTPIdleTimeout)
	positiveOr(&l.MaxConnections, dl.MaxConnections)
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// StoreURL is the store a node configured by c opens: DatabaseURL, or the
// SQLite file in DataDir.
func (c Config) StoreURL() string {
	c.setDefaults()
	return c.DatabaseURL
}

// orDefault sets *v to d when it is empty.
func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// positiveOr sets *v to d unless it is positive.
func positiveOr[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// ConnLimits bound what one client, or all of them together, can hold open.
// Zero values take the defaults of DefaultConfig.
type ConnLimits struct {
	HTTPReadTimeout time.Duration // a whole request, body included (chunk uploads get ChunkTimeout)
	HTTPIdleTimeout time.Duration // an idle keep-alive connection is closed after this
	ChunkTimeout    time.Duration // reading one upload chunk
	MaxConnections  int           // open TCP connections on the HTTP port

	WSAuthTimeout    time.Duration // a new signaling socket must authenticate within this
	WSMaxPerAddress  int           // signaling sockets per client address
	WSMaxConnections int           // signaling sockets on this node
}
