package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// packetCounts are LiveKit's own RTP counters for what it sent to
// subscribers (livekit_packet_total, direction="outgoing"). They come from
// the per-track stream stats, so RTCP is not in them; "initial" is the
// forwarded media (plus any probe padding), "retransmit" the NACK resends.
type packetCounts struct {
	initial, retransmit float64
}

func scrapePackets(ctx context.Context, url string) (packetCounts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return packetCounts{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return packetCounts{}, fmt.Errorf("scrape livekit metrics: %w", err)
	}
	defer resp.Body.Close()
	var c packetCounts
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "livekit_packet_total{") || !strings.Contains(line, `direction="outgoing"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			return packetCounts{}, fmt.Errorf("parse %q: %w", line, err)
		}
		if strings.Contains(line, `transmission="retransmit"`) {
			c.retransmit += v
		} else {
			c.initial += v
		}
	}
	return c, sc.Err()
}

// mark is one end of the measurement window.
type mark struct {
	at        time.Time
	packets   packetCounts
	serverCPU float64
	selfCPU   float64
}

// markAtUpdate waits for LiveKit's counter to move and takes the mark right
// then: the counters advance in steps as track stats are reported, so a
// window between two steps counts what was sent between them.
func markAtUpdate(ctx context.Context, s *server, limit time.Duration) (mark, error) {
	first, err := scrapePackets(ctx, s.metrics)
	if err != nil {
		return mark{}, err
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return mark{}, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		c, err := scrapePackets(ctx, s.metrics)
		if err != nil {
			return mark{}, err
		}
		if c.initial != first.initial {
			cpu, err := processCPUSeconds(s.pid())
			if err != nil {
				return mark{}, err
			}
			return mark{at: time.Now(), packets: c, serverCPU: cpu, selfCPU: selfCPUSeconds()}, nil
		}
	}
	return mark{}, fmt.Errorf("livekit's packet counter did not move in %v: is media flowing?", limit)
}
