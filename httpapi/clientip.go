package httpapi

import "net/http"

// ClientIP is the address a request comes from, for per-client limits such
// as signaling connection caps. Today it is the connection's peer address;
// behind trusted proxies it is the one place to take the forwarded address.
func ClientIP(r *http.Request) string {
	return RemoteAddr(r)
}
