package recordings

import (
	"context"
	"testing"
	"time"

	"cloudwindow/calls"
)

// The station's link samples kept during a call come back with the session a
// supervisor reviews, in order; parties of the call cannot read them.
func TestReviewSessionCarriesLinkSamples(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			s := newReviewServer(t, db)
			cs := calls.NewStore(db)
			at := s.now()
			samples := []calls.LinkSample{
				{At: at.Add(10 * time.Second), Party: "station", RTTMs: 310, LossPct: 6.3, BitrateKbps: 240, Quality: "poor"},
				{At: at, Party: "station", RTTMs: 90, LossPct: 0.5, BitrateKbps: 900, Quality: "good"},
			}
			for _, l := range samples {
				if err := cs.AddLinkSample(context.Background(), testCall.ID, l); err != nil {
					t.Fatal(err)
				}
			}
			var d SessionDetail
			decode(t, s.do(t, "GET", "/api/v1/recordings/"+testCall.ID, "supervisor", ""), 200, &d)
			if len(d.Link) != 2 || d.Link[0].Quality != "good" || d.Link[1].Quality != "poor" {
				t.Fatalf("link samples %+v, want good then poor", d.Link)
			}
			if l := d.Link[1]; l.RTTMs != 310 || l.LossPct != 6.3 || l.BitrateKbps != 240 || l.Party != "station" {
				t.Errorf("sample %+v, want 310 ms, 6.3 %%, 240 kbit/s of the station", l)
			}
			for _, token := range []string{"station", "agent"} {
				if got := s.do(t, "GET", "/api/v1/recordings/"+testCall.ID, token, "").StatusCode; got != 403 {
					t.Errorf("%s read the review = %d, want 403", token, got)
				}
			}
		})
	}
}
