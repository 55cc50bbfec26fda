package signaling

import (
	"net/http"
	"sync"

	"cloudwindow/httpapi"
)

// Default connection caps. Every station and desk needs one socket (two
// during a page reload), so a site behind one address rarely passes a few;
// the total bounds the memory and file descriptors anonymous sockets can take.
const (
	DefaultMaxConnsPerAddress = 20
	DefaultMaxConns           = 5000
)

// admission counts open WebSockets, authenticated or not, per client
// address and in total, and refuses those over the caps before upgrading.
type admission struct {
	perAddress, total int

	mu     sync.Mutex
	open   int
	byAddr map[string]int
}

func newAdmission(perAddress, total int) *admission {
	if perAddress <= 0 {
		perAddress = DefaultMaxConnsPerAddress
	}
	if total <= 0 {
		total = DefaultMaxConns
	}
	return &admission{perAddress: perAddress, total: total, byAddr: map[string]int{}}
}

// admit takes a place for addr; reason is "total" or "address" when there is
// none. release gives the place back.
func (a *admission) admit(addr string) (ok bool, reason string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case a.open >= a.total:
		return false, "total"
	case a.byAddr[addr] >= a.perAddress:
		return false, "address"
	}
	a.open++
	a.byAddr[addr]++
	return true, ""
}

func (a *admission) release(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.open--
	if a.byAddr[addr]--; a.byAddr[addr] <= 0 {
		delete(a.byAddr, addr)
	}
}

// refuse answers an upgrade request over a cap; the client may retry later.
func refuse(w http.ResponseWriter, reason string) {
	w.Header().Set("Retry-After", "10")
	if reason == "address" {
		httpapi.WriteError(w, http.StatusTooManyRequests, "too_many_connections",
			"too many signaling connections from this address")
		return
	}
	httpapi.WriteError(w, http.StatusServiceUnavailable, "too_many_connections",
		"this node has no room for more signaling connections; try again shortly")
}
