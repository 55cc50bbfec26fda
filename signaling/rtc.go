package signaling

import (
	"context"

	"github.com/pion/webrtc/v4"

	"cloudwindow/media"
)

// callOf finds the call callID that sess is in: their own call as a
// station or agent, or one they joined as a supervisor.
func (s *Server) callOf(sess *session, callID string) (*call, error) {
	c := sess.currentCall()
	if (c == nil || c.id != callID) && hasRole(sess.ident.Role, overseers) {
		c = s.liveCall(callID)
	}
	if c == nil || c.id != callID {
		return nil, protoErr(CodeInvalidState, "you are not in call %s", callID)
	}
	if _, ok := c.roleOf(sess); !ok {
		return nil, protoErr(CodeInvalidState, "you are not in call %s", callID)
	}
	return c, nil
}

func (s *Server) handleRTCOffer(_ context.Context, sess *session, m Message) error {
	var d rtcOfferData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if d.CallID == standbyCallID {
		return s.handleStandbyOffer(sess, d, m)
	}
	c, err := s.callOf(sess, d.CallID)
	if err != nil {
		return err
	}
	peer := c.peerOf(sess)
	if d.Fresh || peer == nil {
		if peer, err = c.freshPeer(sess); err != nil {
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

// peerOf finds the peer a session negotiates with in a call.
func (s *Server) peerOf(sess *session, callID string) (callPeer, error) {
	if callID == standbyCallID {
		st, err := s.standingFor(sess, false)
		if err != nil {
			return nil, err
		}
		return st.peer, nil
	}
	c, err := s.callOf(sess, callID)
	if err != nil {
		return nil, err
	}
	peer := c.peerOf(sess)
	if peer == nil {
		return nil, protoErr(CodeInvalidState, "send an rtc.offer first")
	}
	return peer, nil
}
