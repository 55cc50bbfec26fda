package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// offeringServer is a signaling server whose media side is a pion PeerConnection.
// It answers the client's first offer and at once sends an offer of its own, as a
// node does when the other party's tracks are already there and the client is slow
// to apply the answer. It reports the client's answer to that offer on answered.
type offeringServer struct {
	t        *testing.T
	answered chan error
}

func (s *offeringServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		s.t.Error(err)
		return
	}
	defer pc.Close()
	for {
		var m Message
		if err := ws.ReadJSON(&m); err != nil {
			return
		}
		var d struct{ SDP string }
		_ = json.Unmarshal(m.Data, &d)
		switch m.Type {
		case "auth":
			s.send(ws, Message{Type: "welcome", Re: m.ID}, struct{}{})
		case "rtc.offer":
			s.answerAndOffer(ws, pc, m.ID, d.SDP)
		case "rtc.answer":
			s.answered <- pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: d.SDP})
			s.send(ws, Message{Type: "ok", Re: m.ID}, struct{}{})
		}
	}
}

func (s *offeringServer) answerAndOffer(ws *websocket.Conn, pc *webrtc.PeerConnection, id, sdp string) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		s.t.Errorf("server applies the client offer: %v", err)
		return
	}
	answer, err := pc.CreateAnswer(nil)
	if err == nil {
		err = pc.SetLocalDescription(answer)
	}
	if err != nil {
		s.t.Errorf("server answers: %v", err)
		return
	}
	s.send(ws, Message{Type: "rtc.answer", Re: id}, map[string]string{"sdp": answer.SDP})
	// The other party's camera, offered right behind the answer.
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "camera", "agent-main")
	if err == nil {
		_, err = pc.AddTrack(track)
	}
	var offer webrtc.SessionDescription
	if err == nil {
		offer, err = pc.CreateOffer(nil)
	}
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	if err != nil {
		s.t.Errorf("server offers: %v", err)
		return
	}
	s.send(ws, Message{Type: "rtc.offer"}, map[string]string{"call_id": "call-1", "sdp": offer.SDP})
}

func (s *offeringServer) send(ws *websocket.Conn, m Message, data any) {
	m.Data, _ = json.Marshal(data)
	if err := ws.WriteJSON(m); err != nil {
		s.t.Errorf("server writes %s: %v", m.Type, err)
	}
}

// TestServerOfferRightAfterTheAnswerIsAnswered: a server offer that follows the
// answer to the client's offer must be applied after that answer, not dropped as a
// collision, or the client never receives the other party's media.
func TestServerOfferRightAfterTheAnswerIsAnswered(t *testing.T) {
	for i := range 10 {
		srv := &offeringServer{t: t, answered: make(chan error, 1)}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t.Cleanup(cancel)
		c, err := Dial(ctx, hs.URL, "token")
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(c.Close)
		if _, err := c.StartMedia(ctx, "call-1-0000000000", MediaOptions{}); err != nil {
			t.Fatalf("start media: %v", err)
		}
		select {
		case err := <-srv.answered:
			if err != nil {
				t.Fatalf("call %d: server applies the client's answer: %v", i+1, err)
			}
		case <-ctx.Done():
			t.Fatalf("call %d: the client never answered the server offer that followed its answer", i+1)
		}
	}
}
