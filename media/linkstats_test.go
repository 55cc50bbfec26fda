package media

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// The subscriber's receiver reports give its link's figures in the peer stats
// that signaling shows the agent.
func TestPeerStatsCarryReceiverReportedLink(t *testing.T) {
	up, _ := benchTrack(t, 1)
	d := up.fanout.Load().downs[0]
	r := newResender(d)
	now := time.Now()
	r.now = func() time.Time { return now }
	ssrc := d.binding.Load().ssrc
	r.observe(&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{
		SSRC: ssrc, FractionLost: 64, LastSenderReport: compactNTP(now.Add(-300 * time.Millisecond)),
	}}})
	st := d.peer.counters.snapshot("station")
	if st.RTT < 299*time.Millisecond || st.RTT > 301*time.Millisecond {
		t.Errorf("rtt %v in the peer stats, want 300 ms", st.RTT)
	}
	if st.FractionLost != 0.25 {
		t.Errorf("fraction lost %v, want 0.25", st.FractionLost)
	}
}
