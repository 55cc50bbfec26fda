package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	agentconsole "cloudwindow/agent-console"
	"cloudwindow/auth/authhttp"
	"cloudwindow/cases"
	guestclient "cloudwindow/guest-client"
	"cloudwindow/httpapi"
	stationclient "cloudwindow/station-client"
	"cloudwindow/stationhealth"
	"cloudwindow/webclient"
)

func (n *Node) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", n.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.registry, promhttp.HandlerOpts{}))
	mux.Handle("GET /ws", n.Signaling)

	authhttp.Routes(mux, n.Auth, n.Audit, n.log)
	n.Catalog.Routes(mux, n.Auth, n.Audit)
	n.Recorder.Routes(mux, n.Auth, n.Audit)
	n.Calls.Routes(mux, n.Auth)
	n.Cases.Routes(mux, n.Auth)
	n.Rectify.Routes(mux, n.Auth)
	n.Stats.Routes(mux, n.Auth)
	n.Health.Routes(mux, n.Auth)
	n.Links.Routes(mux, n.Auth, n.Audit, n.log)
	n.Bookings.Routes(mux, n.Auth)
	stationhealth.NewHelperPIN(n.cfg.HelperPIN, n.Audit).Routes(mux, n.Auth)
	n.Documents.Routes(mux, n.Auth)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		httpapi.WriteError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
	})

	serveApp(mux, "/station/", stationclient.Files)
	serveApp(mux, "/console/", agentconsole.Files)
	serveApp(mux, "/lib/", webclient.Files)
	serveApp(mux, "/guest/", guestclient.Files)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	return httpapi.ClientAddr{Trusted: n.cfg.TrustedProxies}.Handler(securityHeaders(mux, n.cfg.TLSCert != ""))
}

// serveApp serves a web app's files, compressed to browsers that take gzip:
// the kiosk's app is 330 kB of text, 90 kB compressed, which on a 256 kbit/s
// island link is the difference between ten seconds and three for its first
// load and for each update.
func serveApp(mux *http.ServeMux, prefix string, files fs.FS) {
	mux.Handle("GET "+prefix, httpapi.Compressed(http.StripPrefix(prefix, revalidated(files))))
}

// revalidated serves files, each with an ETag of its content, and tells
// browsers to ask again before they use their copy: a kiosk that starts (its
// service worker goes to the network first) then gets a 304 for each file it
// has, instead of the app again. Embedded files have no modification time to
// revalidate by.
func revalidated(files fs.FS) http.Handler {
	tags := contentTags(files)
	serve := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tag, ok := tags[appFileName(r.URL.Path)]; ok {
			w.Header().Set("ETag", tag)
			w.Header().Set("Cache-Control", "no-cache")
		}
		serve.ServeHTTP(w, r)
	})
}

// contentTags are weak ETags of every file in files, by name: weak, because
// a file goes compressed or not and both are the same content.
func contentTags(files fs.FS) map[string]string {
	tags := map[string]string{}
	_ = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		tags[name] = `W/"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return tags
}

// appFileName is the file a request's path (below the app's prefix) is
// served from: a folder's index.html for a folder.
func appFileName(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		return p + "index.html"
	}
	return p
}

// ready reports whether the store (and the bus, in a cluster) answers and
// the disk has more than its reserve free: a node that can't keep what it
// records must not get new sessions from the load balancer. Callers get a
// code; the cause goes to the log.
func (n *Node) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := n.db.PingContext(ctx); err != nil {
		n.log.Error("readiness: store unreachable", "err", err)
		httpapi.WriteError(w, http.StatusServiceUnavailable, "store_unreachable", "the store does not answer")
		return
	}
	if n.redis != nil {
		if err := n.redis.Ping(ctx).Err(); err != nil {
			n.log.Error("readiness: bus unreachable", "err", err)
			httpapi.WriteError(w, http.StatusServiceUnavailable, "bus_unreachable", "the cluster bus does not answer")
			return
		}
	}
	free, ok := n.diskReady(w)
	if !ok {
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"status": "ready", "disk_free_bytes": free, "disk_reserve_bytes": n.disk.Reserve})
}

// contentSecurityPolicy lets pages run only the apps' own scripts (no
// inline script, no eval) and load nothing from other origins. Styles are
// the apps' files plus the form and receipt pages' own style blocks, which
// the station shows in srcdoc frames that inherit this policy. Scans are
// shown from blob: URLs, PDFs in a frame.
var contentSecurityPolicy = strings.Join([]string{
	"default-src 'self'",
	"script-src 'self'",
	"style-src 'self' " + strings.Join(cases.InlineStyleHashes(), " "),
	"img-src 'self' blob: data:",
	"media-src 'self' blob:",
	"frame-src 'self' blob:",
	"object-src 'self' blob:",
	"connect-src 'self'",
	"base-uri 'none'",
	"form-action 'self'",
	"frame-ancestors 'none'",
}, "; ")

// securityHeaders keeps the apps out of frames, stops content sniffing and
// inline script; camera and microphone are allowed for this origin only.
// With TLS on, browsers are told to come back over HTTPS only.
func securityHeaders(h http.Handler, tlsOn bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Permissions-Policy", "camera=(self), microphone=(self)")
		if tlsOn {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}
