package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// politeServer negotiates as a node does: its own offers stay pending until
// answered, and a client offer that arrives meanwhile withdraws them. It
// reports on stale an answer that came for an offer it had withdrawn, and on
// answered one to its pending offer. A resumed session gets the pending offer
// again right behind the welcome.
type politeServer struct {
	t        *testing.T
	offers   chan string // the server offers made, for the test to deliver
	stale    chan struct{}
	answered chan struct{}

	mu      sync.Mutex
	pc      *webrtc.PeerConnection
	pending string
}

func (s *politeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	for {
		var m Message
		if err := ws.ReadJSON(&m); err != nil {
			return
		}
		var d struct{ SDP, Resume string }
		_ = json.Unmarshal(m.Data, &d)
		reply := Message{Type: "ok", Re: m.ID}
		var data any = struct{}{}
		switch m.Type {
		case "auth":
			reply.Type, data = "welcome", map[string]string{"session_id": "session-1", "resume_token": "resume-1"}
		case "rtc.offer":
			reply.Type, data = "rtc.answer", map[string]string{"sdp": s.answer(d.SDP)}
		case "rtc.answer":
			if !s.applyAnswer(d.SDP) {
				reply.Type, data = "error", map[string]string{"code": "bad_sdp", "message": "answer without a pending offer"}
			}
		default:
			continue
		}
		reply.Data, _ = json.Marshal(data)
		if err := ws.WriteJSON(reply); err != nil {
			return
		}
		if m.Type == "auth" && d.Resume != "" {
			s.resendOffer(ws)
		}
	}
}

// answer answers a client offer, withdrawing a pending server offer; after
// the first one it makes an offer of its own for the other party's camera.
func (s *politeServer) answer(sdp string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending = ""
	first := s.pc.CurrentRemoteDescription() == nil
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		s.t.Errorf("server applies the client offer: %v", err)
		return ""
	}
	answer, err := s.pc.CreateAnswer(nil)
	if err == nil {
		err = s.pc.SetLocalDescription(answer)
	}
	if err != nil {
		s.t.Errorf("server answers: %v", err)
		return ""
	}
	if first {
		track, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "camera", "agent-main")
		if _, err := s.pc.AddTrack(track); err != nil {
			s.t.Errorf("server adds a track: %v", err)
		}
		offer, err := s.pc.CreateOffer(nil)
		if err != nil {
			s.t.Errorf("server offers: %v", err)
		}
		s.pending = offer.SDP
		s.offers <- offer.SDP
	}
	return answer.SDP
}

func (s *politeServer) applyAnswer(sdp string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == "" {
		s.stale <- struct{}{}
		return false
	}
	_ = s.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: s.pending})
	s.pending = ""
	if err := s.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return false
	}
	s.answered <- struct{}{}
	return true
}

// resendOffer sends the pending offer again, as a node does to a resumed
// session: the first copy may have been lost with the old socket.
func (s *politeServer) resendOffer(ws *websocket.Conn) {
	s.mu.Lock()
	data, _ := json.Marshal(map[string]string{"call_id": "call-1-0000000000", "sdp": s.pending})
	s.mu.Unlock()
	_ = ws.WriteJSON(Message{Type: "rtc.offer", Data: data})
}

// startPolite starts a politeServer and a client's media in a call with it;
// the server's offer for the other party's camera is then on srv.offers.
func startPolite(t *testing.T, ctx context.Context) (*politeServer, *Client, *Media) {
	t.Helper()
	srv := &politeServer{t: t, offers: make(chan string, 1), stale: make(chan struct{}, 1), answered: make(chan struct{}, 1)}
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	srv.pc = pc
	t.Cleanup(func() { pc.Close() })
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := Dial(ctx, hs.URL, "token")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	m, err := c.StartMedia(ctx, "call-1-0000000000", MediaOptions{})
	if err != nil {
		t.Fatalf("start media: %v", err)
	}
	t.Cleanup(m.Close)
	return srv, c, m
}

// TestServerOfferWithdrawnByAnICERestartIsNotAnswered: a server offer the
// client received while idle, but could apply only after its own ICE restart
// offer went out, was withdrawn by the server when that offer reached it. The
// client must not answer it: the server would take that answer for its next
// offer, and the party would never get the media that offer carries.
func TestServerOfferWithdrawnByAnICERestartIsNotAnswered(t *testing.T) {
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		srv, _, m := startPolite(t, ctx)
		offer := <-srv.offers
		// The server offer arrives while an ICE restart is about to take the
		// negotiation: which of the two goes first is up to the scheduler.
		m.negMu.Lock()
		data, _ := json.Marshal(map[string]string{"call_id": "call-1-0000000000", "sdp": offer})
		m.handles(Message{Type: "rtc.offer", Data: data})
		restarted := make(chan error, 1)
		go func() { restarted <- m.RestartICE(ctx) }()
		time.Sleep(5 * time.Millisecond)
		m.negMu.Unlock()
		if err := <-restarted; err != nil {
			t.Fatalf("call %d: ice restart: %v", i+1, err)
		}
		m.negMu.Lock() // the server offer's goroutine is done with it
		m.negMu.Unlock()
		select {
		case <-srv.stale:
			t.Fatalf("call %d: the client answered a server offer its ICE restart had withdrawn", i+1)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestOfferResentToAResumedSessionIsAnswered: the server offer a resumed
// session gets right behind its welcome must reach the call's media, not the
// new socket's inbox. Unanswered, it would hold up every later offer, and the
// party would never get the other's media.
func TestOfferResentToAResumedSessionIsAnswered(t *testing.T) {
	for i := range 5 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t.Cleanup(cancel)
		srv, c, _ := startPolite(t, ctx)
		<-srv.offers // lost with the old socket
		back, err := c.Resume(ctx)
		if err != nil {
			t.Fatalf("resume: %v", err)
		}
		t.Cleanup(back.Close)
		select {
		case <-srv.answered:
		case <-ctx.Done():
			t.Fatalf("call %d: the offer resent after the resume was never answered", i+1)
		}
	}
}
