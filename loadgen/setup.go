package loadgen

import (
	"context"
	"fmt"
	"time"
)

// SetupTimes starts n calls at the same moment (n stations ask at once, n
// ready agents accept at once) and reports their setup times. Each party
// sends light media (96 kbit/s video in one packet per frame, plus audio)
// so that the figures are those of signaling, ICE and DTLS rather than of
// the media of the calls set up first. The node needs n load stations and
// agents.
func SetupTimes(ctx context.Context, base Config, n int) (*Report, error) {
	cfg := base
	cfg.Stations, cfg.Agents, cfg.MaxCalls, cfg.TotalCalls = n, n, n, n
	cfg.CallRate, cfg.AcceptDelay = 0, 0
	cfg.CallLength = 2 * time.Second
	cfg.Duration = mediaTimeout + answerTimeout + time.Duration(n)*100*time.Millisecond
	cfg.Warmup = cfg.Duration / 2
	cfg.Media = Media{Source: MediaSynthetic, VideoBitrate: 96_000, PacketSize: 400}
	return Run(ctx, fmt.Sprintf("setup %d concurrent", n), cfg)
}
