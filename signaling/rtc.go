package signaling

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// peer returns the party's current media peer, if any.
func (c *call) peer(p party) *media.Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peers[p]
}

// freshPeer replaces the party's peer with a new one: the client made a new
// PeerConnection (first offer of the call, or after a page reload).
func (c *call) freshPeer(p party) (*media.Peer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, protoErr(CodeInvalidState, "call %s has ended", c.id)
	}
	if old := c.peers[p]; old != nil {
		old.Close()
	}
	peer, err := c.room.Join(newSecret(string(p)+"-"), string(p), peerSignaler{call: c, party: p})
	if err != nil {
		return nil, fmt.Errorf("join room %s: %w", c.id, err)
	}
	c.peers[p] = peer
	return peer, nil
}

func (s *Server) handleRTCOffer(_ context.Context, sess *session, m Message) error {
	var d rtcOfferData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	p := c.partyOf(sess)
	peer := c.peer(p)
	if d.Fresh || peer == nil {
		if peer, err = c.freshPeer(p); err != nil {
			return err
		}
	}
	sources := make(map[string]media.Source, len(d.Sources))
	for id, src := range d.Sources {
		sources[id] = media.Source(src)
	}
	err = peer.AnswerOffer(d.SDP, sources, func(answer string) {
		sess.reply(m.ID, TypeRTCAnswer, rtcAnswerData{CallID: c.id, SDP: answer})
	})
	if err != nil {
		return protoErr(CodeBadSDP, "offer refused: %v", err)
	}
	return nil
}

func (s *Server) handleRTCAnswer(_ context.Context, sess *session, m Message) error {
	var d rtcAnswerData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	peer, err := s.peerOf(sess, d.CallID)
	if err != nil {
		return err
	}
	if err := peer.HandleAnswer(d.SDP); err != nil {
		return protoErr(CodeBadSDP, "answer refused: %v", err)
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

func (s *Server) handleRTCCandidate(_ context.Context, sess *session, m Message) error {
	var d rtcCandidateData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	peer, err := s.peerOf(sess, d.CallID)
	if err != nil {
		return err
	}
	ci := webrtc.ICECandidateInit{Candidate: d.Candidate, SDPMid: d.SDPMid, SDPMLineIndex: d.SDPMLineIndex}
	if err := peer.AddCandidate(ci); err != nil {
		return protoErr(CodeBadMessage, "candidate refused: %v", err)
	}
	if m.ID != "" {
		sess.reply(m.ID, TypeOK, empty{})
	}
	return nil
}

// peerOf finds the peer a session negotiates with in a call: its own as a
// party, or the one it watches through as a supervisor.
func (s *Server) peerOf(sess *session, callID string) (*media.Peer, error) {
	if hasRole(sess.ident.Role, overseers) {
		return s.monitorPeer(sess, callID)
	}
	c, err := sess.callByID(callID)
	if err != nil {
		return nil, err
	}
	peer := c.peer(c.partyOf(sess))
	if peer == nil {
		return nil, protoErr(CodeInvalidState, "send an rtc.offer first")
	}
	return peer, nil
}
