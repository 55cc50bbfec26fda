package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pion/webrtc/v4"
)

// Resume opens a new socket that takes over c's session, as a kiosk does
// after its link dropped: the server keeps the session (and its call) for
// its resume grace. The call's media, if any, is carried over to the new
// socket, and c is closed. The new client's Welcome says whether the
// session was resumed and which call it is in.
func (c *Client) Resume(ctx context.Context) (*Client, error) {
	var w struct {
		SessionID   string `json:"session_id"`
		ResumeToken string `json:"resume_token"`
	}
	if err := json.Unmarshal(c.Welcome.Data, &w); err != nil || w.SessionID == "" {
		return nil, fmt.Errorf("resume: the welcome has no session to resume")
	}
	c.mu.Lock()
	m := c.media
	c.media = nil // the media outlives the old socket
	c.mu.Unlock()
	c.ws.Close()
	<-c.done
	auth := map[string]string{"token": c.token}
	if c.invitation != "" {
		auth = map[string]string{"invitation": c.invitation}
	}
	auth["resume"], auth["resume_token"] = w.SessionID, w.ResumeToken
	back, err := dial(ctx, c.baseURL, c.token, auth, m)
	if err != nil {
		if m != nil {
			m.moveTo(c)
		}
		return nil, fmt.Errorf("resume session %s: %w", w.SessionID, err)
	}
	return back, nil
}

// Alive asks the server for a reply within timeout: false means the socket
// is open but nothing crosses it, as on a link that went dark.
func (c *Client) Alive(ctx context.Context, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := c.Request(ctx, "ping", struct{}{})
	return err == nil
}

// The repair rule of KeepICE, the web client's (webclient/call.js).
const (
	// iceDisconnectGrace is how long a disconnected connection may recover
	// by itself before it is restarted.
	iceDisconnectGrace = 4 * time.Second
	// iceConnectFor is how long a restart may stay connecting before it is
	// made again: its checks run for 30 s, but the server may have given
	// up on it (its own checks fail after 30 s) or never seen its offer.
	iceConnectFor = 10 * time.Second
	// iceRestartGap spaces restarts that fail at once (no answer).
	iceRestartGap = time.Second
	icePoll       = 100 * time.Millisecond
)

// KeepICE repairs the media connection as the web client does, until ctx
// ends: an ICE restart when the connection failed, stayed disconnected for
// iceDisconnectGrace, or stayed connecting iceConnectFor after the last
// restart. Restarts are only made while the signaling socket answers, so
// after a resumed session (Client.Resume) the next poll restarts at once.
func (m *Media) KeepICE(ctx context.Context) {
	var badSince, lastRestart time.Time
	tick := time.NewTicker(icePoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			st := m.pc.ConnectionState()
			if st == webrtc.PeerConnectionStateClosed {
				return
			}
			if !iceNeedsRestart(st, now, &badSince, lastRestart) || now.Sub(lastRestart) < iceRestartGap {
				continue
			}
			// A restart over a socket that carries nothing would only hold
			// negotiation up until the socket is resumed.
			if !m.conn.Load().Alive(ctx, time.Second) {
				continue
			}
			lastRestart = now
			rctx, cancel := context.WithTimeout(ctx, iceConnectFor)
			_ = m.RestartICE(rctx)
			cancel()
		}
	}
}

// iceNeedsRestart applies KeepICE's rule to the state seen at now; badSince
// is when the connection was last seen going disconnected.
func iceNeedsRestart(st webrtc.PeerConnectionState, now time.Time, badSince *time.Time, lastRestart time.Time) bool {
	switch st {
	case webrtc.PeerConnectionStateConnected:
		*badSince = time.Time{}
		return false
	case webrtc.PeerConnectionStateFailed:
		return true
	case webrtc.PeerConnectionStateDisconnected:
		if badSince.IsZero() {
			*badSince = now
		}
		return now.Sub(*badSince) >= iceDisconnectGrace
	default: // new, connecting: a restart still checking
		*badSince = time.Time{}
		return !lastRestart.IsZero() && now.Sub(lastRestart) >= iceConnectFor
	}
}
