// Package signaling runs the WebSocket sessions of stations, agents and
// supervisors: it authenticates them, speaks the protocol in
// docs/protocol.md, feeds the queue, and sets up each call's media room.
package signaling

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"cloudwindow/queue"
)

// Message is the envelope of every frame.
type Message struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Re   string          `json:"re,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Message types; docs/protocol.md describes each, and a test keeps the two
// lists equal.
const (
	TypeError           = "error"
	TypeAuth            = "auth"
	TypeWelcome         = "welcome"
	TypeSessionReplaced = "session.replaced"
	TypePing            = "ping"
	TypePong            = "pong"
	TypeOK              = "ok"
	TypeCallRequest     = "call.request"
	TypeCallQueued      = "call.queued"
	TypeQueuePosition   = "queue.position"
	TypeCallCancel      = "call.cancel"
	TypeAgentState      = "agent.state"
	TypeAgentStatus     = "agent.status"
	TypeQueueStats      = "queue.stats"
	TypeCallOffer       = "call.offer"
	TypeOfferWithdrawn  = "call.offer_withdrawn"
	TypeStandbyClosed   = "standby.closed"
	TypeCallAccept      = "call.accept"
	TypeCallReject      = "call.reject"
	TypeCallStarted     = "call.started"
	TypeRTCOffer        = "rtc.offer"
	TypeRTCAnswer       = "rtc.answer"
	TypeRTCCandidate    = "rtc.candidate"
	TypePeerState       = "call.peer_state"
	TypeChatSend        = "chat.send"
	TypeChatMessage     = "chat.message"
	TypeCallHangup      = "call.hangup"
	TypeCallEnded       = "call.ended"
	TypeCallWrapup      = "call.wrapup"
	TypeCaseUpdated     = "case.updated"
	TypeFormPushed      = "form.pushed"
	TypeFormSigned      = "form.signed"
	TypeDocumentUpdated = "document.updated"
	TypeMonitorStart    = "monitor.start"
	TypeMonitorStarted  = "monitor.started"
	TypeMonitorStop     = "monitor.stop"
	TypeRatingSubmit    = "rating.submit"
	TypeRecordingStatus = "recording.status"

	// Calls with more than two people.
	TypeCallSupervise    = "call.supervise"
	TypeCallParticipants = "call.participants"
	TypeCallTransfer     = "call.transfer"
	TypeTransferStatus   = "call.transfer_status"
	TypeCallConsult      = "call.consult"
	TypeCallConsultEnd   = "call.consult_end"
	TypeCallHold         = "call.hold"

	// The ready colleagues an agent may transfer a call to.
	TypeAgentColleagues = "agent.colleagues"
	// Station helpers and invited guests.
	TypeHelperSignIn   = "helper.sign_in"
	TypeHelperSignedIn = "helper.signed_in"
	TypeHelperSignOut  = "helper.sign_out"
	TypeGuestInvite    = "guest.invite"
	TypeGuestInvited   = "guest.invited"
	TypeGuestStatus    = "guest.status"
	TypeGuestConsent   = "guest.consent"
	TypeGuestRemove    = "guest.remove"
	TypeGuestLeave     = "guest.leave"

	// A kiosk's devices and version, for the center's station list.
	TypeStationHeartbeat = "station.heartbeat"

	// Station tickets (取号叫号).
	TypeTicketTake      = "ticket.take"
	TypeTicketTaken     = "ticket.taken"
	TypeTicketCancel    = "ticket.cancel"
	TypeTicketList      = "ticket.list"
	TypeTicketCall      = "ticket.call"
	TypeTicketAnswer    = "ticket.answer"
	TypeTicketCallEnded = "ticket.call_ended"
)

// allTypes lists every type above, for the protocol document test.
var allTypes = []string{
	TypeError, TypeAuth, TypeWelcome, TypeSessionReplaced, TypePing, TypePong, TypeOK,
	TypeCallRequest, TypeCallQueued, TypeQueuePosition, TypeCallCancel,
	TypeAgentState, TypeAgentStatus, TypeQueueStats, TypeCallOffer, TypeOfferWithdrawn,
	TypeCallAccept, TypeCallReject, TypeCallStarted, TypeRTCOffer, TypeRTCAnswer, TypeRTCCandidate, TypeStandbyClosed,
	TypePeerState, TypeChatSend, TypeChatMessage, TypeCallHangup, TypeCallEnded, TypeCallWrapup,
	TypeCaseUpdated, TypeFormPushed, TypeFormSigned, TypeDocumentUpdated,
	TypeMonitorStart, TypeMonitorStarted, TypeMonitorStop, TypeRatingSubmit, TypeRecordingStatus,
	TypeStationHeartbeat, TypeVideoPaused, TypeBitrateLimit,
	TypeTicketTake, TypeTicketTaken, TypeTicketCancel, TypeTicketList, TypeTicketCall,
	TypeTicketAnswer, TypeTicketCallEnded,
	TypeStationLinkCheck, TypeCallLink,
	TypeCallSupervise, TypeCallParticipants, TypeCallTransfer, TypeTransferStatus,
	TypeCallConsult, TypeCallConsultEnd, TypeCallHold,
	TypeAgentColleagues,
	TypeHelperSignIn, TypeHelperSignedIn, TypeHelperSignOut,
	TypeGuestInvite, TypeGuestInvited, TypeGuestStatus, TypeGuestConsent, TypeGuestRemove, TypeGuestLeave,
}

// Error codes sent in error messages.
const (
	CodeBadMessage      = "bad_message"
	CodeUnknownType     = "unknown_type"
	CodeTooLarge        = "too_large"
	CodeRateLimited     = "rate_limited"
	CodeUnauthenticated = "unauthenticated"
	CodeInvalidToken    = "invalid_token"
	CodeSessionEnded    = "session_ended"
	CodeForbidden       = "forbidden"
	CodeNotFound        = "not_found"
	CodeInvalidState    = "invalid_state"
	CodeNotOffered      = "not_offered"
	CodeDuplicate       = "duplicate"
	CodeNoAgents        = "no_agents"
	CodeBadSDP          = "bad_sdp"
	CodeInternal        = "internal"
	// CodeQueueUnavailable: the cluster's queue can't be reached for now
	// (Redis is down or restarting); nothing changed, try again shortly.
	CodeQueueUnavailable = "queue_unavailable"
	// CodeRecordingUnavailable refuses a call that can't be recorded when
	// policy (--require-recording) wants every call recorded.
	CodeRecordingUnavailable = "recording_unavailable"
)

// ProtocolError is an error a client is told about.
type ProtocolError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

func protoErr(code, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// decodeData strictly decodes a message's data into v: unknown fields and
// trailing data are refused.
func decodeData(raw json.RawMessage, v any) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return protoErr(CodeBadMessage, "invalid data: %v", err)
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return protoErr(CodeBadMessage, "invalid data: trailing content")
	}
	if c, ok := v.(interface{ check() error }); ok {
		return c.check()
	}
	return nil
}

// asProtocolError turns any handler error into what the client is told;
// internal details stay in the server log.
func asProtocolError(err error) *ProtocolError {
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, queue.ErrUnavailable) {
		return &ProtocolError{Code: CodeQueueUnavailable, Message: "暂时无法排队，请稍候"}
	}
	return &ProtocolError{Code: CodeInternal, Message: "internal error"}
}
