package loadgen

import (
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

func TestTrackStatsCountsLossAcrossSequenceWrap(t *testing.T) {
	tests := []struct {
		name             string
		seqs             []uint16
		wantExpected     uint64
		wantReceived     uint64
		wantExpectedGrow uint64
	}{
		{"in order", []uint16{10, 11, 12, 13}, 4, 4, 4},
		{"one lost", []uint16{10, 11, 13, 14}, 5, 4, 5},
		{"wraps", []uint16{65534, 65535, 0, 2}, 5, 4, 5},
		{"late packet counts but does not grow", []uint16{10, 12, 11, 13}, 4, 4, 4},
		{"duplicate", []uint16{10, 11, 11, 12}, 3, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := &trackStats{clockRate: 90000}
			var grown uint64
			for i, s := range tt.seqs {
				grown += ts.add(&rtp.Packet{Header: rtp.Header{SequenceNumber: s, Timestamp: uint32(i * 3000)}}, time.Duration(i)*33*time.Millisecond)
			}
			if ts.expected() != tt.wantExpected || ts.received != tt.wantReceived || grown != tt.wantExpectedGrow {
				t.Errorf("expected %d received %d grown %d, want %d %d %d",
					ts.expected(), ts.received, grown, tt.wantExpected, tt.wantReceived, tt.wantExpectedGrow)
			}
		})
	}
}

func TestTrackStatsJitter(t *testing.T) {
	steady, bumpy := &trackStats{clockRate: 90000}, &trackStats{clockRate: 90000}
	for i := range 200 {
		p := &rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(i), Timestamp: uint32(i * 3000)}}
		at := time.Duration(i) * time.Second / 30
		steady.add(p, at)
		if i%2 == 1 {
			at += 10 * time.Millisecond // every other frame 10 ms late
		}
		bumpy.add(p, at)
	}
	if j := steady.jitterMs(); j > 0.01 {
		t.Errorf("evenly paced packets: jitter %.3f ms, want 0", j)
	}
	// RFC 3550's estimator converges to the mean transit difference, 10 ms.
	if j := bumpy.jitterMs(); j < 8 || j > 10.5 {
		t.Errorf("alternating 10 ms delay: jitter %.2f ms, want about 10", j)
	}
}

func TestPercentilesNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	p := percentilesOf(ds)
	if p.N != 100 || p.P50 != 50 || p.P95 != 95 || p.P99 != 99 || p.Max != 100 {
		t.Errorf("percentiles of 1..100 ms: %+v", p)
	}
	if got := percentilesOf(nil); got.N != 0 {
		t.Errorf("no samples: %+v", got)
	}
}

func TestCheckLoopbackRefusesOtherAddresses(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:8080", "udp://127.0.0.2:5000"} {
		if err := CheckLoopback(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1:8080", "http://example.org", "http://0.0.0.0:8080", "udp://192.168.1.1:5000", "::"} {
		if err := CheckLoopback(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

func TestRunRefusesUnboundedOrRemoteRuns(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"remote", Config{BaseURL: "http://10.1.2.3:8080", Stations: 1, Agents: 1, Duration: time.Second}, "loopback"},
		{"no duration", Config{BaseURL: "http://127.0.0.1:1", Stations: 1, Agents: 1}, "duration"},
		{"no parties", Config{BaseURL: "http://127.0.0.1:1", Duration: time.Second}, "station"},
		{"bad media", Config{BaseURL: "http://127.0.0.1:1", Stations: 1, Agents: 1, Duration: time.Second, Media: Media{Source: "webcam"}}, "media"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(t.Context(), tt.name, tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one about %s", err, tt.want)
			}
		})
	}
}

func TestGreenShareIsSpreadEvenly(t *testing.T) {
	r := &runner{cfg: Config{GreenShare: 0.25}, items: []string{"a", "b", "c"}}
	green, items := 0, map[string]int{}
	for range 100 {
		item, reason := r.nextRequest()
		items[item]++
		if reason != "" {
			green++
		}
	}
	if green != 25 {
		t.Errorf("%d of 100 requests green, want 25", green)
	}
	if items["a"] != 34 || items["b"] != 33 || items["c"] != 33 {
		t.Errorf("items used %v, want them in turn", items)
	}
}
