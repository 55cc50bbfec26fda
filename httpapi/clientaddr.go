package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr finds a request's client address. X-Forwarded-For is believed
// only as far as it was written by Trusted proxies (the load balancers in
// front of the node): anyone else could put any address in it.
type ClientAddr struct {
	Trusted []netip.Prefix
}

// ParseTrustedProxies reads a comma-separated list of CIDRs or single
// addresses, e.g. "10.0.0.0/8,192.168.1.10".
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: not an address or CIDR", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// Of returns r's client address: the connection's peer, or, when that peer
// is a trusted proxy, the nearest address in X-Forwarded-For that is not.
func (c ClientAddr) Of(r *http.Request) string {
	peer := connAddr(r)
	addr, err := netip.ParseAddr(peer)
	if err != nil || !c.trusted(addr) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	var all []string
	for _, h := range hops {
		all = append(all, strings.Split(h, ",")...)
	}
	// Walk from the nearest hop back: each trusted proxy vouches for the
	// address before it; the first untrusted one is the client.
	for i := len(all) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(all[i]))
		if err != nil {
			return addr.String() // garbage: believe no further
		}
		addr = hop.Unmap()
		if !c.trusted(addr) {
			break
		}
	}
	return addr.String()
}

func (c ClientAddr) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range c.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type clientAddrKey struct{}

// Handler resolves each request's client address once, for ClientIP.
func (c ClientAddr) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientAddrKey{}, c.Of(r))
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// ClientIP is the client address for audit logs and login limits: what
// ClientAddr.Handler found, or the connection's peer outside it.
func ClientIP(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok {
		return a
	}
	return connAddr(r)
}

func connAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
