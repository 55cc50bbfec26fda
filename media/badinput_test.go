package media

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestBadSignalingInputIsRejectedAndPeerStaysUsable(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-bad")
	station := joinClient(t, r, "station-1", "station", clientOptions{})

	// A well-formed offer to mutilate.
	station.publish(SourceCamera)
	var good string
	if err := station.do(func() error {
		offer, err := station.pc.CreateOffer(nil)
		good = offer.SDP
		return err
	}); err != nil {
		t.Fatal(err)
	}
	noUfrag := strings.NewReplacer("a=ice-ufrag:", "a=x-ufrag:").Replace(good)
	noMid := strings.NewReplacer("a=mid:", "a=x-mid:").Replace(good)

	offers := []struct{ name, sdp, want string }{
		{"empty", "", "empty SDP"},
		{"not an SDP", "hello, I am not an SDP", "parse SDP"},
		{"too big", strings.Repeat("v=0\r\n", maxSDPSize), "exceeds"},
		{"no ice credentials", noUfrag, "ice-ufrag"},
		{"no mid", noMid, "no mid"},
	}
	for _, tc := range offers {
		t.Run("offer "+tc.name, func(t *testing.T) {
			_, err := station.peer.HandleOffer(tc.sdp, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("HandleOffer(%s) error = %v, want one mentioning %q", tc.name, err, tc.want)
			}
		})
	}
	if err := station.peer.HandleAnswer(good); err == nil || !strings.Contains(err.Error(), "without a pending") {
		t.Errorf("answer with no pending offer: error = %v", err)
	}
	if err := station.peer.AddCandidate(webrtc.ICECandidateInit{Candidate: "candidate:garbage"}); err == nil {
		t.Errorf("garbage candidate accepted")
	}
	if err := station.peer.AddCandidate(webrtc.ICECandidateInit{Candidate: strings.Repeat("x", 5000)}); err == nil {
		t.Errorf("oversized candidate accepted")
	}
	tooMany := map[string]Source{}
	for i := range maxSources + 1 {
		tooMany[fmt.Sprint("track-", i)] = SourceCamera
	}
	if _, err := station.peer.HandleOffer(good, tooMany); err == nil {
		t.Errorf("offer with %d track sources accepted", len(tooMany))
	}

	// After all that, the peer still negotiates and its media reaches the agent.
	agent := joinClient(t, r, "agent-1", "agent", clientOptions{})
	if _, err := station.negotiate(nil, nil); err != nil {
		t.Fatalf("good offer after bad input: %v", err)
	}
	agent.waitPackets("station-main", "camera", 50)
}

func TestGarbageAnswerLeavesServerOfferAnswerable(t *testing.T) {
	s := newTestSFU(t)
	r := newTestRoom(t, s, "call-bad-answer")
	station, agent := startCall(t, r, clientOptions{}, clientOptions{})
	agent.holdOffers.Store(true)
	station.publish(SourceDocument)
	if _, err := station.negotiate(nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a server offer to the agent", func() bool { return agent.heldOffers() > 0 })
	for _, bad := range []string{"v=0 garbage", strings.Replace(agent.pc.LocalDescription().SDP, "a=mid:", "a=x-mid:", 1)} {
		if err := agent.peer.HandleAnswer(bad); err == nil {
			t.Errorf("bad answer accepted: %.40q", bad)
		}
	}
	if err := agent.do(func() error { agent.deliverHeld(); return nil }); err != nil {
		t.Fatal(err)
	}
	agent.waitPackets("station-document", "document", 50)
}
