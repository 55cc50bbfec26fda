package media

import (
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
	if _, err := station.peer.HandleOffer(good, map[string]Source{"a": "b", "c": "d", "e": "f", "g": "h", "i": "j", "k": "l", "m": "n", "o": "p", "q": "r", "s": "t", "u": "v", "w": "x", "y": "z", "0": "1", "2": "3", "4": "5", "6": "7"}); err == nil {
		t.Errorf("offer with 17 track sources accepted")
	}

	// After all that, the peer still negotiates and its media reaches the agent.
	agent := joinClient(t, r, "agent-1", "agent", clientOptions{})
	if _, err := station.negotiate(nil, nil); err != nil {
		t.Fatalf("good offer after bad input: %v", err)
	}
	agent.waitPackets("station-main", "camera", 50)

	// A garbage answer to a real server offer leaves the offer answerable.
	agent.holdOffers.Store(true)
	station.publish(SourceAudio)
	if _, err := station.negotiate(nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a server offer to the agent", func() bool { return agent.heldOffers() > 0 })
	if err := agent.peer.HandleAnswer("v=0 garbage"); err == nil {
		t.Errorf("garbage answer accepted")
	}
	if err := agent.do(func() error { agent.deliverHeld(); return nil }); err != nil {
		t.Fatal(err)
	}
	agent.waitPackets("station-main", "audio", 50)
}
