package signaling

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"time"
)

// TURNCredentials returns short-lived credentials for a TURN server that
// shares secret with this node (coturn's use-auth-secret, the "TURN REST
// API"): the username carries its expiry, the password is its HMAC. A
// leaked credential stops working after ttl, and no per-user state is kept.
func TURNCredentials(secret, user string, ttl time.Duration, now time.Time) (username, credential string) {
	username = fmt.Sprintf("%d:%s", now.Add(ttl).Unix(), user)
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// iceServersFor gives a session its ICE servers: the configured ones, with
// fresh TURN credentials where the node holds a TURN secret.
func (s *Server) iceServersFor(accountID string) []ICEServer {
	out := make([]ICEServer, 0, len(s.cfg.ICEServers))
	for _, srv := range s.cfg.ICEServers {
		if s.cfg.TURNSecret != "" && srv.Username == "" {
			srv.Username, srv.Credential = TURNCredentials(s.cfg.TURNSecret, accountID, 12*time.Hour, time.Now())
		}
		out = append(out, srv)
	}
	return out
}
