package node

import (
	"testing"

	"cloudwindow/auth"
	"cloudwindow/cases"
	"cloudwindow/documents"
	"cloudwindow/recordings"
)

// Hooks that fire while the node is still starting find no signaling yet:
// they must be dropped, not crash the start.
func TestRelayBeforeSignalingDropsEvents(t *testing.T) {
	var r callRelay
	r.sessionsEnded(auth.SessionsEnded{})
	r.caseEvent(cases.Event{CallID: "c1"})
	r.formPushed(cases.Form{})
	r.formSigned(cases.Signature{})
	r.documentChanged(documents.Document{})
	r.recordingStatus(recordings.StatusChange{CallID: "c1"})
}
