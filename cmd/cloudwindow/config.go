package main

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffyaml"

	"cloudwindow/httpapi"
	"cloudwindow/node"
	"cloudwindow/signaling"
)

type config struct {
	node.Config
	rest []string
}

// parseConfig reads flags, then CLOUDWINDOW_* environment variables, then
// the YAML file named by --config, in that order of precedence.
func parseConfig(args []string) (config, slog.Level, error) {
	c := config{Config: node.DefaultConfig()}
	fs := flag.NewFlagSet("cloudwindow", flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", c.Addr, "HTTP listen address")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the SQLite store, recordings and documents")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://…) for a cluster; default SQLite in --data-dir")
	fs.StringVar(&c.RedisURL, "redis-url", "", "Redis URL (redis://…) to join a cluster: shared queue and bus; default alone, in memory")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", c.RedisPrefix, "prefix of this cluster's Redis keys and channels")
	fs.BoolVar(&c.Demo, "demo", false, "create demo accounts (password \"demo\")")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "TLS certificate file (PEM); serves HTTPS when set")
	fs.StringVar(&c.TLSKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&c.NodeName, "node-name", c.NodeName, "this node's name in a cluster")
	fs.IntVar(&c.UDPPort, "media-udp-port", c.UDPPort, "the one UDP port for all WebRTC media (ICE UDP mux)")
	fs.Var(&c.UDPPorts, "media-udp-ports", "instead of --media-udp-port, a UDP port per media connection from this range (e.g. 40000-49999): less CPU per packet, more ports to open")
	fs.IntVar(&c.TCPPort, "media-tcp-port", c.TCPPort, "ICE-TCP port for networks that block UDP; -1 disables")
	publicIPs := fs.String("public-ips", "", "comma-separated public IPs announced for media (behind 1:1 NAT)")
	fs.BoolVar(&c.LoopbackOnly, "media-loopback-only", false, "offer media on 127.0.0.1 only (single-box demos)")
	fs.BoolVar(&c.AdaptDownlink, "adapt-downlink", c.AdaptDownlink, "estimate each receiver's downlink, cap senders to it and pause video (not audio) on weak links")
	fs.BoolVar(&c.VideoFEC, "video-fec", c.VideoFEC, "send video FEC (ULPFEC in RED) to receivers whose link from the node loses packets, within their downlink estimate")
	fs.IntVar(&c.AudioRedundancy, "audio-redundancy", c.AudioRedundancy, "most earlier Opus frames (0-3) resent inside each audio packet (RED) to receivers that take it, by their loss; 0 disables")
	fs.BoolVar(&c.PreconnectMedia, "preconnect-media", c.PreconnectMedia, "let ready agents and queued stations connect media ahead of the call (forwarded only from the accept on)")
	turn := fs.String("turn", "", "TURN/STUN servers for clients: url[,url…][;username;credential]")
	fs.StringVar(&c.TURNSecret, "turn-secret", "", "secret shared with coturn (use-auth-secret): clients get 12 h TURN credentials")
	fs.StringVar(&c.OpeningHours, "opening-hours", c.OpeningHours, "opening hours told to stations when no agent is online")
	fs.DurationVar(&c.RingTimeout, "ring-timeout", c.RingTimeout, "how long an offer rings before it goes to the next agent")
	fs.DurationVar(&c.GuestInviteTTL, "guest-invite-ttl", c.GuestInviteTTL, "how long an invitation of a remote guest (family member, interpreter) to a call may be used, once")
	fs.DurationVar(&c.TicketAnswerTimeout, "ticket-answer-timeout", c.TicketAnswerTimeout, "how long a called station ticket waits for its resident before it goes back once, then lapses")
	fs.DurationVar(&c.WrapUpTimeout, "wrapup-timeout", c.WrapUpTimeout, "wrap-up time after a call before the agent is ready again")
	fs.DurationVar(&c.ResumeGrace, "resume-grace", c.ResumeGrace, "how long a dropped client may come back to its call")
	fs.StringVar(&c.TicketSecret, "recording-ticket-secret", "", "signs short-lived recording play links; set the same on every node of a cluster")
	fs.StringVar(&c.RecordingsURL, "recordings-url", c.RecordingsURL, "keep finished recordings in an S3-compatible object store: s3://host[:port]/bucket[/prefix][?tls=false&region=…]; default: in --data-dir")
	fs.StringVar(&c.RecordingsAccessKey, "recordings-access-key", c.RecordingsAccessKey, "access key of --recordings-url (default: AWS_ACCESS_KEY_ID or MINIO_ROOT_USER, then ~/.aws/credentials)")
	fs.StringVar(&c.RecordingsSecretKeyFile, "recordings-secret-key-file", c.RecordingsSecretKeyFile, "file holding the secret key of --recordings-access-key (default: AWS_SECRET_ACCESS_KEY or MINIO_ROOT_PASSWORD)")
	fs.DurationVar(&c.Retention, "retention", c.Retention, "delete recordings older than this (e.g. 8760h); 0 keeps them")
	lim := &c.ConnLimits
	fs.DurationVar(&lim.HTTPReadTimeout, "http-read-timeout", lim.HTTPReadTimeout, "longest time to read one HTTP request, body included (upload chunks: --upload-chunk-timeout)")
	fs.DurationVar(&lim.HTTPIdleTimeout, "http-idle-timeout", lim.HTTPIdleTimeout, "an idle keep-alive HTTP connection is closed after this")
	fs.DurationVar(&lim.ChunkTimeout, "upload-chunk-timeout", lim.ChunkTimeout, "longest time to read one upload chunk")
	fs.IntVar(&lim.MaxConnections, "max-connections", lim.MaxConnections, "open TCP connections on the HTTP port; more wait until one closes")
	fs.DurationVar(&lim.WSAuthTimeout, "ws-auth-timeout", lim.WSAuthTimeout, "a new signaling socket must authenticate within this")
	fs.IntVar(&lim.WSMaxPerAddress, "ws-max-per-address", lim.WSMaxPerAddress, "open signaling sockets per client address")
	fs.IntVar(&lim.WSMaxConnections, "ws-max-connections", lim.WSMaxConnections, "open signaling sockets on this node")
	trusted := fs.String("trusted-proxies", "", "load balancers (CIDRs or addresses, comma-separated) whose X-Forwarded-For gives the client address")
	login := &c.LoginLimits
	fs.IntVar(&login.Failures, "login-failures", login.Failures, "failed logins per account and address before each further try waits")
	fs.IntVar(&login.WideFailures, "login-wide-failures", login.WideFailures, "failed logins per address, or per account, before tries wait (addresses the account logged in from are exempt)")
	fs.DurationVar(&login.Delay, "login-delay", login.Delay, "the first wait after too many failed logins; it doubles with each further failure")
	fs.DurationVar(&login.MaxDelay, "login-max-delay", login.MaxDelay, "the longest wait after failed logins")
	fs.StringVar(&c.KeyEncryptionKey, "key-encryption-key", "", "base64 AES-256 key sealing the token signing keys in the store; a second, comma-separated, is the old one while rotating")
	fs.StringVar(&c.KeyEncryptionKeyFile, "key-encryption-key-file", "", "file holding the key-encryption key(s), one a line; default: generated at <data-dir>/secrets/key-encryption.key")
	fs.DurationVar(&c.SessionCheckInterval, "session-check-interval", c.SessionCheckInterval, "how often live sessions are checked against their account (backs up instant sign-out)")
	fs.BoolVar(&c.RequireRecording, "require-recording", false, "refuse to start a call that cannot be recorded (default: the call goes on and the agent is told)")
	fs.StringVar(&c.HelperPIN, "helper-pin", "", "PIN that opens a kiosk's self-check screen for its helper (帮办员); empty: closed")
	fs.DurationVar(&c.RecordingRetry, "recording-retry", c.RecordingRetry, "after a recording failure (e.g. disk full), how often to try a new part")
	limitFlags(fs, &c.Config)
	tz := fs.String("timezone", c.Location.String(), "the center's time zone (due dates, case numbers)")
	holidays := fs.String("holidays", "", "public holidays skipped in due dates: 2026-10-01,2026-10-02,…")
	workdays := fs.String("extra-workdays", "", "weekend days worked instead (调休): 2026-10-11,…")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.String("config", "", "optional YAML config file (keys are the flag names)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: cloudwindow [flags] [admin …]\n\nEvery flag can also be set as CLOUDWINDOW_<FLAG> (e.g. CLOUDWINDOW_DATA_DIR)\nor in the YAML file given by --config. Flags win over the environment, which wins over the file.\n\n")
		fs.PrintDefaults()
	}
	err := ff.Parse(fs, args, ff.WithEnvVarPrefix("CLOUDWINDOW"),
		ff.WithConfigFileFlag("config"), ff.WithConfigFileParser(ffyaml.Parser))
	if err != nil {
		return c, 0, err
	}
	c.rest = fs.Args()
	if *publicIPs != "" {
		c.PublicIPs = strings.Split(*publicIPs, ",")
	}
	if c.TrustedProxies, err = httpapi.ParseTrustedProxies(*trusted); err != nil {
		return c, 0, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if c.Location, err = time.LoadLocation(*tz); err != nil {
		return c, 0, fmt.Errorf("--timezone: %w", err)
	}
	c.Holidays, c.ExtraWorkdays = splitList(*holidays), splitList(*workdays)
	if c.ICEServers, err = parseICEServers(*turn); err != nil {
		return c, 0, err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return c, 0, fmt.Errorf("--log-level: %w", err)
	}
	return c, level, nil
}

// limitFlags are the disk reserve and the upload limits; c holds their
// defaults.
func limitFlags(fs *flag.FlagSet, c *node.Config) {
	fs.Var((*byteSize)(&c.DiskReserve), "disk-reserve", "free space kept on the data volume for recordings and the store: uploads stop and /readyz fails below it (e.g. 1GiB, 0 for none)")
	u := &c.Uploads
	fs.DurationVar(&u.Grace, "upload-grace", u.Grace, "how long after a call ends its station may still upload")
	fs.IntVar(&u.MaxFilesPerCall, "upload-max-files", u.MaxFilesPerCall, "uploads per call")
	fs.Var((*byteSize)(&u.MaxBytesPerCall), "upload-max-bytes", "bytes uploaded per call (e.g. 200MiB)")
	fs.Var((*byteSize)(&u.MaxBytesPerStationDay), "upload-max-bytes-per-station-day", "bytes one station may upload in 24 hours (e.g. 400MiB)")
}

// byteSize is a flag of a number of bytes: 1073741824, 1GiB, 200MiB, 500MB.
type byteSize int64

func (b *byteSize) String() string { return humanize.IBytes(uint64(*b)) }

func (b *byteSize) Set(s string) error {
	n, err := humanize.ParseBytes(s)
	if err != nil || n > math.MaxInt64 {
		return fmt.Errorf("want a size such as 1GiB or 200MiB: %q", s)
	}
	*b = byteSize(n)
	return nil
}

func parseICEServers(s string) ([]signaling.ICEServer, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ";")
	if len(parts) != 1 && len(parts) != 3 {
		return nil, fmt.Errorf("--turn: want url[,url…] or url[,url…];username;credential")
	}
	srv := signaling.ICEServer{URLs: strings.Split(parts[0], ",")}
	if len(parts) == 3 {
		srv.Username, srv.Credential = parts[1], parts[2]
	}
	return []signaling.ICEServer{srv}, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
