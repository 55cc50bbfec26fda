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
	back, err := dial(ctx, c.baseURL, c.token, auth)
	if err != nil {
		if m != nil {
			c.mu.Lock()
			c.media = m
			c.mu.Unlock()
		}
		return nil, fmt.Errorf("resume session %s: %w", w.SessionID, err)
	}
	if m != nil {
		m.moveTo(back)
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

// KeepICE repairs the media connection as the web client does: an ICE
// restart when the connection failed or stayed disconnected for
// disconnectGrace, at most one per restartEvery, until ctx ends. Restarts
// are only tried while the signaling socket answers.
func (m *Media) KeepICE(ctx context.Context) {
	const disconnectGrace, restartEvery, poll = 4 * time.Second, 5 * time.Second, 100 * time.Millisecond
	var badSince, lastRestart time.Time
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			st := m.pc.ConnectionState()
			switch {
			case st == webrtc.PeerConnectionStateClosed:
				return
			case st != webrtc.PeerConnectionStateFailed && st != webrtc.PeerConnectionStateDisconnected:
				// Connected, or a restart still connecting: give it its time.
				badSince = time.Time{}
				continue
			case badSince.IsZero():
				badSince = now
			}
			if st != webrtc.PeerConnectionStateFailed && now.Sub(badSince) < disconnectGrace {
				continue
			}
			// A restart over a socket that carries nothing would only hold
			// negotiation up until the socket is resumed.
			if now.Sub(lastRestart) < restartEvery || !m.conn.Load().Alive(ctx, time.Second) {
				continue
			}
			lastRestart = now
			rctx, cancel := context.WithTimeout(ctx, restartEvery)
			_ = m.RestartICE(rctx)
			cancel()
		}
	}
}
