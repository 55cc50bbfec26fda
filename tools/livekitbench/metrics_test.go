package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// LiveKit's counters as its /metrics shows them: only outgoing RTP counts,
// resends apart; incoming packets and other metrics are not forwarding.
const sampleMetrics = `# TYPE livekit_packet_total counter
livekit_packet_total{country="",direction="incoming",node_id="n",node_type="SERVER",transmission="initial"} 9000
livekit_packet_total{country="",direction="outgoing",node_id="n",node_type="SERVER",transmission="initial"} 7000
livekit_packet_total{country="CN",direction="outgoing",node_id="n",node_type="SERVER",transmission="initial"} 500
livekit_packet_total{country="",direction="outgoing",node_id="n",node_type="SERVER",transmission="retransmit"} 12
livekit_packet_bytes{country="",direction="outgoing",node_id="n",node_type="SERVER",transmission="initial"} 8e+06
livekit_nack_total{country="",direction="outgoing",node_id="n",node_type="SERVER"} 30
`

func TestScrapePacketsCountsOutgoingRTPOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, sampleMetrics)
	}))
	t.Cleanup(srv.Close)
	got, err := scrapePackets(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if want := (packetCounts{initial: 7500, retransmit: 12}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestProcessCPUSecondsOfThisProcess(t *testing.T) {
	sum := 0
	for i := range 50_000_000 {
		sum += i
	}
	cpu, err := processCPUSeconds(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if cpu <= 0 || sum == 0 {
		t.Fatalf("CPU seconds %v after a busy loop", cpu)
	}
}
