package client

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The session keeper's timing, the kiosk's (webclient/signaling.js) while a
// call is live: a link that went dark is noticed within a few seconds, and
// when it comes back an attempt is under way or starts within resumeRetry.
const (
	keepPingEvery = 2 * time.Second
	// keepSilence is how long a socket may carry nothing before the link is
	// taken for lost. Any message counts, not only the ping's answer, which
	// may wait behind a slow request.
	keepSilence = 5 * time.Second
	// resumeAttempt bounds one resume: a connection opened while the link
	// is dark may never get through (its SYN is lost), and a fresh one
	// started after the link's return gets through at once.
	resumeAttempt = 3 * time.Second
	resumeRetry   = 500 * time.Millisecond
)

// Keeper holds a session across a dropped link, as a kiosk does: when its
// socket stops answering it resumes the session on a new one (carrying the
// call's media over, whose KeepICE then restarts ICE).
type Keeper struct {
	mu   sync.Mutex
	c    *Client
	done chan struct{}
}

// Keep watches c until ctx ends; onResume, if set, learns of each resume
// (the new client, or why the session could not be resumed within limit,
// after which the keeper stops).
func Keep(ctx context.Context, c *Client, limit time.Duration, onResume func(*Client, error)) *Keeper {
	k := &Keeper{c: c, done: make(chan struct{})}
	go func() {
		defer close(k.done)
		k.run(ctx, limit, onResume)
	}()
	return k
}

// Done is closed once the keeper has stopped.
func (k *Keeper) Done() <-chan struct{} { return k.done }

// Client is the socket that carries the session now.
func (k *Keeper) Client() *Client {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.c
}

func (k *Keeper) run(ctx context.Context, limit time.Duration, onResume func(*Client, error)) {
	tick := time.NewTicker(keepPingEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c := k.Client()
		c.Alive(ctx, keepPingEvery)
		if c.Silence() < keepSilence {
			continue
		}
		back, err := resumeWithin(ctx, c, limit)
		if err == nil {
			k.mu.Lock()
			k.c = back
			k.mu.Unlock()
		}
		if onResume != nil {
			onResume(back, err)
		}
		if err != nil {
			return
		}
	}
}

// resumeWithin tries to resume c's session until it succeeds or limit
// passes, each attempt bounded by resumeAttempt.
func resumeWithin(ctx context.Context, c *Client, limit time.Duration) (*Client, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		actx, acancel := context.WithTimeout(ctx, resumeAttempt)
		back, err := c.Resume(actx)
		acancel()
		if err == nil {
			return back, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("resume within %v: %w", limit, err)
		case <-time.After(resumeRetry):
		}
	}
}
