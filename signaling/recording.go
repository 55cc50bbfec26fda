package signaling

import (
	"time"

	"cloudwindow/calls"
	"cloudwindow/identity"
)

// recordingStatusData tells whether a call is being recorded.
type recordingStatusData struct {
	CallID    string `json:"call_id"`
	Recording bool   `json:"recording"`
	Code      string `json:"code,omitempty"` // why not: disk_full, permission_denied, write_failed, muxer_error
}

// checkRecording asks the recorder whether a call starting now can be
// recorded. With --require-recording a call that can't is refused;
// otherwise it goes on and the agent is told (see announceRecording).
func (s *Server) checkRecording() (code string, err error) {
	if s.deps.Recorder == nil {
		return "", nil
	}
	code = s.deps.Recorder.Unavailable()
	if code != "" && s.cfg.RequireRecording {
		s.log.Warn("call refused: it cannot be recorded", "code", code)
		return code, protoErr(CodeRecordingUnavailable, "calls cannot be recorded now (%s), and unrecorded calls are not allowed", code)
	}
	return code, nil
}

// RecordingStatus is told by the recorder when a call's recording stops
// after a failure and when it runs again. The agent sees it at once, and
// so do supervisors on their wallboard.
func (s *Server) RecordingStatus(callID string, recording bool, code string) {
	s.mu.Lock()
	c := s.callsByID[callID]
	s.mu.Unlock()
	if c == nil {
		return
	}
	if !c.setRecording(recording, code) {
		return
	}
	s.announceRecording(c, recording, code)
}

// announceRecording tells the call's agent, its watchers and every
// supervisor signed in to this node, and notes it on the call's timeline.
func (s *Server) announceRecording(c *call, recording bool, code string) {
	ev := calls.Event{At: time.Now(), Type: "recording_resumed", Actor: "server"}
	if !recording {
		ev.Type, ev.Detail = "recording_failed", code
	}
	s.events.add(c.id, ev)
	data := recordingStatusData{CallID: c.id, Recording: recording, Code: code}
	to := map[*session]bool{}
	for _, sess := range c.sessions(c.resident()) {
		to[sess] = true
	}
	s.mu.Lock()
	for _, sess := range s.sessions {
		if sess.ident.Role == identity.RoleSupervisor || sess.ident.Role == identity.RoleAdmin {
			to[sess] = true
		}
	}
	s.mu.Unlock()
	for sess := range to {
		sess.push(TypeRecordingStatus, data)
	}
}

// repeatRecordingStatus tells an agent back after a reload or a dropped
// link that its call is still not being recorded.
func (s *Server) repeatRecordingStatus(sess *session) {
	c := sess.currentCall()
	if c == nil {
		return
	}
	if r, _ := c.roleOf(sess); r != roleAgent {
		return
	}
	if code := c.unrecordedCode(); code != "" {
		sess.push(TypeRecordingStatus, recordingStatusData{CallID: c.id, Code: code})
	}
}
