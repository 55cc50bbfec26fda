package signaling

import (
	"context"
	"time"

	"cloudwindow/identity"
)

// handler serves one message type for the roles allowed to send it.
type handler struct {
	roles []identity.Role
	fn    func(ctx context.Context, sess *session, m Message) error
}

var (
	anyone    = []identity.Role{identity.RoleStation, identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin, identity.RoleGuest}
	stations  = []identity.Role{identity.RoleStation}
	agents    = []identity.Role{identity.RoleAgent}
	callParty = []identity.Role{identity.RoleStation, identity.RoleAgent}
	inCall    = []identity.Role{identity.RoleStation, identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin}
	// talkers negotiate media: everyone in a call, guests included, who may
	// do nothing else.
	talkers = []identity.Role{identity.RoleStation, identity.RoleAgent, identity.RoleSupervisor, identity.RoleAdmin, identity.RoleGuest}
	guests  = []identity.Role{identity.RoleGuest}
)

func (s *Server) routes() map[string]handler {
	return map[string]handler{
		TypePing:           {anyone, s.handlePing},
		TypeCallRequest:    {stations, s.handleCallRequest},
		TypeCallCancel:     {stations, s.handleCallCancel},
		TypeRatingSubmit:   {stations, s.handleRating},
		TypeAgentState:     {agents, s.handleAgentState},
		TypeCallAccept:     {agents, s.handleCallAccept},
		TypeCallReject:     {agents, s.handleCallReject},
		TypeCallWrapup:     {agents, s.handleCallWrapup},
		TypeCallHangup:     {inCall, s.handleHangup}, // supervisors: only a call they took over
		TypeChatSend:       {callParty, s.handleChat},
		TypeRTCOffer:       {talkers, s.handleRTCOffer},
		TypeRTCAnswer:      {talkers, s.handleRTCAnswer},
		TypeRTCCandidate:   {talkers, s.handleRTCCandidate},
		TypeMonitorStart:   {overseers, s.handleMonitorStart},
		TypeMonitorStop:    {overseers, s.handleMonitorStop},
		TypeCallSupervise:  {overseers, s.handleSupervise},
		TypeCallTransfer:   {agents, s.handleTransfer},
		TypeCallConsult:    {agents, s.handleConsult},
		TypeCallConsultEnd: {agents, s.handleConsultEnd},

		TypeStationHeartbeat: {stations, s.handleHeartbeat},
		TypeTicketTake:       {stations, s.handleTicketTake},
		TypeTicketCancel:     {stations, s.handleTicketCancel},
		TypeTicketAnswer:     {stations, s.handleTicketAnswer},
		TypeTicketList:       {stations, s.handleTicketList},
		TypeStationLinkCheck: {stations, s.handleLinkCheck},

		TypeAgentColleagues: {agents, s.handleColleagues},
		TypeHelperSignIn:    {stations, s.handleHelperSignIn},
		TypeHelperSignOut:   {stations, s.handleHelperSignOut},
		TypeGuestInvite:     {agents, s.handleGuestInvite},
		TypeGuestConsent:    {stations, s.handleGuestConsent},
		TypeGuestRemove:     {agents, s.handleGuestRemove},
		TypeGuestLeave:      {guests, s.handleGuestLeave},
	}
}

// dispatch serves one message of sess; false means the session has ended.
// A session that has not been checked for a check interval is checked
// before its message is served.
func (s *Server) dispatch(sess *session, m Message) bool {
	if sess.remote == nil && time.Since(time.Unix(0, sess.checkedAt.Load())) > s.cfg.SessionCheckInterval && !s.checkSession(sess) {
		return false
	}
	h, ok := s.handlers[m.Type]
	if !ok {
		sess.sendError(m.ID, protoErr(CodeUnknownType, "unknown message type %q", m.Type))
		return true
	}
	if !hasRole(sess.ident.Role, h.roles) {
		sess.sendError(m.ID, protoErr(CodeForbidden, "%s is not allowed for role %s", m.Type, sess.ident.Role))
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fn := h.fn
	if away := sess.awayCall(); away != nil && forwardedTypes[m.Type] {
		fn = func(ctx context.Context, sess *session, m Message) error {
			return s.forwardToCall(ctx, sess, away, "message", m)
		}
	} else if node, callID := s.watchTarget(sess, m); node != "" {
		fn = func(ctx context.Context, sess *session, m Message) error {
			_, err := s.forwardWatch(ctx, sess, node, callID, opWatchMessage, m)
			return err
		}
	}
	if err := fn(ctx, sess, m); err != nil {
		pe := asProtocolError(err)
		if pe.Code == CodeInternal {
			s.log.Error("handle message", "type", m.Type, "account", sess.ident.Username, "err", err)
		}
		s.metrics.errors.WithLabelValues(pe.Code).Inc()
		sess.sendError(m.ID, pe)
	}
	return true
}

func hasRole(r identity.Role, roles []identity.Role) bool {
	for _, want := range roles {
		if r == want {
			return true
		}
	}
	return false
}

func (s *Server) handlePing(_ context.Context, sess *session, m Message) error {
	sess.reply(m.ID, TypePong, empty{})
	return nil
}
