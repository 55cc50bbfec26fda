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

func (r *callRelay) sessionsEnded(e auth.SessionsEnded) {
	if s := r.to.Load(); s != nil {
		s.EndSessions(e)
	}
}

func (r *callRelay) caseEvent(e cases.Event) {
	if s := r.to.Load(); s != nil {
		s.CaseEvent(e)
	}
}

func (r *callRelay) formPushed(f cases.Form) {
	if s := r.to.Load(); s != nil {
		s.FormPushed(f)
	}
}

func (r *callRelay) formSigned(sig cases.Signature) {
	if s := r.to.Load(); s != nil {
		s.FormSigned(sig)
	}
}

func (r *callRelay) documentChanged(d documents.Document) {
	if s := r.to.Load(); s != nil {
		s.DocumentChanged(d)
	}
}

func (r *callRelay) recordingStatus(c recordings.StatusChange) {
	if s := r.to.Load(); s != nil {
		s.RecordingStatus(c.CallID, c.Recording, c.Code)
	}
}
