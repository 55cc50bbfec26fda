package loadgen

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// SetupTimes starts n calls at the same moment (n stations ask at once, n
// ready agents accept together) and reports their setup times. Each party
// sends light media (96 kbit/s video in one packet per frame, plus audio)
// so that the figures are those of signaling, ICE and DTLS rather than of
// the media of the calls set up first. With base.Standing, the parties
// connect their media ahead of the call and the accepts wait until each
// ringing call is prepared. The node needs n load stations and agents.
func SetupTimes(ctx context.Context, base Config, n int) (*Report, error) {
	cfg := base
	cfg.Stations, cfg.Agents, cfg.MaxCalls, cfg.TotalCalls = n, n, n, n
	cfg.CallRate, cfg.AcceptDelay, cfg.AcceptTogether = 0, 0, n
	cfg.CallLength = 2 * time.Second
	cfg.Duration = 2*replyTimeout + mediaTimeout + answerTimeout + time.Duration(n)*100*time.Millisecond
	cfg.Warmup = cfg.Duration / 2
	cfg.Media = Media{Source: MediaSynthetic, VideoBitrate: 96_000, PacketSize: 400}
	name := fmt.Sprintf("setup %d concurrent", n)
	if cfg.Standing {
		name += ", standing"
	}
	return Run(ctx, name, cfg)
}

// startLine holds accepts until n agents are at it, then lets them all go;
// one that waits longer than answerTimeout goes alone, so that an offer
// that never came holds nobody for good.
type startLine struct {
	n   int
	mu  sync.Mutex
	at  int
	all chan struct{}
}

func newStartLine(n int) *startLine { return &startLine{n: n, all: make(chan struct{})} }

func (l *startLine) wait(ctx context.Context) {
	l.mu.Lock()
	if l.at++; l.at == l.n {
		close(l.all)
	}
	l.mu.Unlock()
	select {
	case <-l.all:
	case <-ctx.Done():
	case <-time.After(answerTimeout):
	}
}
