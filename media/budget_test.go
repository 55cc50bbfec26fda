package media

import (
	"testing"
	"time"

	"github.com/pion/rtp"
)

// TestResendBudget runs four seconds of a subscriber's stream on a clock the test
// moves: a 1120-byte packet forwarded every 40 ms (224 kbit/s), each one NACKed
// at once. It counts what the budget lets through: no resend once forwarded and
// resent bytes together reach what the estimate allows so far plus its burst.
func TestResendBudget(t *testing.T) {
	const pkt, every, run = 1120, 40 * time.Millisecond, 4 * time.Second
	tests := []struct {
		name        string
		estimate    int64 // bit/s
		wantAllSent bool
	}{
		{"no estimate: every resend", 0, true},
		{"a wide link: every resend", 10_000_000, true},
		{"320 kbit/s: forwarded plus resent stay within it", 320_000, false},
		{"below the forwarded rate: the first burst only", 200_000, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b sendBudget
			start := time.Now()
			var forwarded uint64
			resent, suppressed := 0, 0
			for at := time.Duration(0); at < run; at += every {
				forwarded += pkt
				if !b.take(start.Add(at), forwarded, tc.estimate, pkt) {
					suppressed++
					continue
				}
				resent++
				// Whenever a resend goes out, all that was sent up to it
				// fits the estimate over the time so far and its burst
				// (the first packet came before the budget's start).
				sent := float64(forwarded) + float64(resent*pkt)
				if limit := float64(tc.estimate)/8*(at+resendBurst).Seconds() + pkt; tc.estimate > 0 && sent > limit {
					t.Fatalf("at %v: resent with %.0f B sent, more than the estimate allows (%.0f B)", at, sent, limit)
				}
			}
			t.Logf("estimate %d bit/s: forwarded %d B, resent %d, suppressed %d", tc.estimate, forwarded, resent, suppressed)
			if tc.wantAllSent {
				if suppressed != 0 {
					t.Errorf("%d resends suppressed, want none", suppressed)
				}
				return
			}
			if suppressed == 0 {
				t.Errorf("no resend suppressed")
			}
		})
	}
}

// TestResendOverBudget: on a link whose estimate the forwarded stream already
// fills, a NACKed packet above the base temporal layer is not resent, and
// /metrics says why, until the estimate makes room; a base-layer packet, whose
// loss would stall the decoder until a keyframe, is resent at once and
// counted in the budget.
func TestResendOverBudget(t *testing.T) {
	tests := []struct {
		name       string
		tid        byte
		wantResent bool
	}{
		{"above the base layer: suppressed", 2, false},
		{"base layer: resent", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, raw := benchTrack(t, 1)
			raw = withVP8Layer(t, raw, tc.tid)
			d := up.fanout.Load().downs[0]
			d.peer.counters.downlinkEstimate.Store(minEstimate) // 30 kbit/s: a burst of 3.75 kB
			d.peer.budget.take(time.Now(), 0, minEstimate, 0)   // the budget starts before anything is forwarded
			for seq := range byte(4) {
				raw[3] = seq + 1
				up.forward(raw) // 4.5 kB: the burst is spent
			}
			newResender(d).resend(up.cache, 1, 1)
			st := d.peer.ResendStats()
			if tc.wantResent {
				if st.Resent != 1 || d.peer.budget.resent != uint64(len(raw)) {
					t.Errorf("stats %+v, %d B counted in the budget: want it resent and counted", st, d.peer.budget.resent)
				}
				return
			}
			if st.Resent != 0 || st.Suppressed != 1 {
				t.Errorf("stats %+v, want the NACK suppressed", st)
			}
			if got := value(t, d.peer.metrics.resendsSuppressed[suppressBudget]); got != 1 {
				t.Errorf("suppressed for reason budget: %v, want 1", got)
			}
			d.peer.counters.downlinkEstimate.Store(maxEstimate)
			r := newResender(d)
			later := time.Now().Add(100 * time.Millisecond) // the bucket refills at the new rate
			r.now = func() time.Time { return later }
			r.resend(up.cache, 1, 1)
			if st := d.peer.ResendStats(); st.Resent != 1 {
				t.Errorf("stats %+v: not resent on a wide link", st)
			}
		})
	}
}

// withVP8Layer is raw with a VP8 payload descriptor that puts it in temporal
// layer tid.
func withVP8Layer(t *testing.T, raw []byte, tid byte) []byte {
	t.Helper()
	var pkt rtp.Packet
	if err := pkt.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	pkt.Payload = append([]byte{0x80, 0x20, tid << 6}, pkt.Payload[3:]...) // X, T, TID
	out, err := pkt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
