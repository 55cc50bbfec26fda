package node

import (
	"sync/atomic"

	"cloudwindow/auth"
	"cloudwindow/cases"
	"cloudwindow/documents"
	"cloudwindow/recordings"
	"cloudwindow/signaling"
)

// callRelay carries what accounts, casework and the recorder tell the
// sessions and calls in progress. Signaling drives those services, so it is
// built after them; the relay is built before, and the services' hooks
// close over it rather than over a component that does not exist yet.
// Until signaling is connected there is no session or call to tell, and
// what comes is dropped.
type callRelay struct {
	to atomic.Pointer[signaling.Server]
}

// connect starts passing events on to s.
func (r *callRelay) connect(s *signaling.Server) { r.to.Store(s) }

// tell calls f on signaling once it is connected.
func (r *callRelay) tell(f func(*signaling.Server)) {
	if s := r.to.Load(); s != nil {
		f(s)
	}
}

func (r *callRelay) sessionsEnded(e auth.SessionsEnded) {
	r.tell(func(s *signaling.Server) { s.EndSessions(e) })
}

func (r *callRelay) caseEvent(e cases.Event) { r.tell(func(s *signaling.Server) { s.CaseEvent(e) }) }

func (r *callRelay) formPushed(f cases.Form) { r.tell(func(s *signaling.Server) { s.FormPushed(f) }) }

func (r *callRelay) formSigned(sig cases.Signature) {
	r.tell(func(s *signaling.Server) { s.FormSigned(sig) })
}

func (r *callRelay) documentChanged(d documents.Document) {
	r.tell(func(s *signaling.Server) { s.DocumentChanged(d) })
}

func (r *callRelay) recordingStatus(c recordings.StatusChange) {
	r.tell(func(s *signaling.Server) { s.RecordingStatus(c.CallID, c.Recording, c.Code) })
}
