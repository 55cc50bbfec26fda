package loadgen

import (
	"context"
	"fmt"
	"io"
	"time"

	"cloudwindow/client"
)

// QueueReport is how fast the node routes with many requests waiting.
type QueueReport struct {
	Waiting        int         `json:"waiting"`
	EnqueueSeconds float64     `json:"enqueue_s"`
	ReadyToOffer   Percentiles `json:"ready_to_offer_ms"`
	RejectToOffer  Percentiles `json:"reject_to_offer_ms"`
}

// decisionPace keeps the agent under the protocol's 20 messages a second.
const decisionPace = 60 * time.Millisecond

// QueueRouting fills the queue with waiting requests (one per station, one
// agent signed in but not ready), then has the agent turn ready and reject
// offers decisions times. Each reject makes the node route the whole queue
// again; the time from the agent's message to the next call.offer is that
// routing decision plus a WebSocket round trip on loopback. The node needs
// waiting load stations and one load agent.
func QueueRouting(ctx context.Context, cfg Config, waiting, decisions int) (*QueueReport, error) {
	cfg.setDefaults()
	if err := CheckLoopback(cfg.BaseURL); err != nil {
		return nil, err
	}
	agent, token, err := signIn(ctx, cfg.BaseURL, AgentUsername(0), cfg.Password, agentPushes())
	if err != nil {
		return nil, err
	}
	defer agent.Close()
	items := cfg.Items
	if len(items) == 0 {
		if items, err = catalogItems(ctx, cfg.BaseURL, token); err != nil {
			return nil, err
		}
	}
	stations := make([]*client.Client, waiting)
	defer closeAll(stations)
	start := time.Now()
	if err := enqueueAll(ctx, cfg, stations, items); err != nil {
		return nil, err
	}
	rep := &QueueReport{Waiting: waiting, EnqueueSeconds: round(time.Since(start).Seconds(), 2)}
	if err := measureDecisions(ctx, agent, decisions, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// enqueueAll signs every station in and has it ask for a call.
func enqueueAll(ctx context.Context, cfg Config, stations []*client.Client, items []string) error {
	return forEach(ctx, len(stations), func(ctx context.Context, i int) error {
		c, _, err := signIn(ctx, cfg.BaseURL, StationUsername(i), cfg.Password, stationPushes())
		if err != nil {
			return err
		}
		stations[i] = c
		rctx, cancel := context.WithTimeout(ctx, replyTimeout)
		defer cancel()
		_, err = c.Request(rctx, "call.request", map[string]string{"item_id": items[i%len(items)], "green_channel": ""})
		if err != nil {
			return fmt.Errorf("station %d asks: %w", i, err)
		}
		return nil
	})
}

// measureDecisions times ready → offer once, then reject → next offer.
func measureDecisions(ctx context.Context, agent *client.Client, decisions int, rep *QueueReport) error {
	t0 := time.Now()
	if err := setReady(ctx, agent, true); err != nil {
		return err
	}
	offer, err := nextOffer(ctx, agent)
	if err != nil {
		return err
	}
	rep.ReadyToOffer = percentilesOf([]time.Duration{time.Since(t0)})
	times := make([]time.Duration, 0, decisions)
	for range decisions {
		if !sleep(ctx, decisionPace) {
			return ctx.Err()
		}
		t0 = time.Now()
		rctx, cancel := context.WithTimeout(ctx, replyTimeout)
		_, err := agent.Request(rctx, "call.reject", map[string]string{"request_id": offer})
		cancel()
		if err != nil {
			return fmt.Errorf("reject: %w", err)
		}
		if offer, err = nextOffer(ctx, agent); err != nil {
			return err
		}
		times = append(times, time.Since(t0))
	}
	rep.RejectToOffer = percentilesOf(times)
	return nil
}

func nextOffer(ctx context.Context, agent *client.Client) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, replyTimeout)
	defer cancel()
	m, err := agent.Next(ctx, "call.offer")
	if err != nil {
		return "", err
	}
	d, err := client.Decode[callRef](m)
	return d.RequestID, err
}

// Print writes the report for people.
func (r *QueueReport) Print(w io.Writer) {
	p := r.RejectToOffer
	fmt.Fprintf(w, "== queue: %d waiting (enqueued in %.1f s); ready→offer %.2f ms; reject→next offer n=%d p50 %.2f ms p95 %.2f ms p99 %.2f ms max %.2f ms\n",
		r.Waiting, r.EnqueueSeconds, r.ReadyToOffer.P50, p.N, p.P50, p.P95, p.P99, p.Max)
}
