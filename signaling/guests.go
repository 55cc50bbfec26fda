package signaling

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"
	"unicode/utf8"

	"cloudwindow/calls"
	"cloudwindow/identity"
)

// A remote guest by invitation: the agent handling a call invites a family
// member or an interpreter (guest.invite) and passes on the link it gets.
// The link is good for one use, within the TTL (15 minutes), for that call
// only. Its secret is the guest's only credential: it opens a session that
// may do nothing but talk in that call (rtc.*, ping, guest.leave). Once the
// guest opens the link, the resident is asked at the kiosk; the guest waits
// until they agree (guest.consent), and is sent away if they refuse. The
// agent may remove the guest at any time (guest.remove). Every step is
// audited and goes on the call's timeline, and everyone concerned hears of
// it in guest.status.

// guestNames are the names a guest goes by when the agent gives none.
var guestNames = map[string]string{guestFamily: "家属", guestInterpreter: "翻译"}

const maxGuestNameRunes = 20

type guestInviteData struct {
	CallID string `json:"call_id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
}

func (d *guestInviteData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	if _, ok := guestNames[d.Kind]; !ok {
		return protoErr(CodeBadMessage, "kind must be family or interpreter")
	}
	d.Name = strings.TrimSpace(d.Name)
	if utf8.RuneCountInString(d.Name) > maxGuestNameRunes || !utf8.ValidString(d.Name) || strings.ContainsAny(d.Name, "\r\n\t<>") {
		return protoErr(CodeBadMessage, "name must be at most %d characters of plain text", maxGuestNameRunes)
	}
	return nil
}

type guestInvitedData struct {
	CallID       string `json:"call_id"`
	InvitationID string `json:"invitation_id"`
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	URL          string `json:"url"` // path and fragment; the secret stays out of server logs
	ExpiresAt    string `json:"expires_at"`
}

type guestRefData struct {
	CallID       string `json:"call_id"`
	InvitationID string `json:"invitation_id"`
}

func (d *guestRefData) check() error {
	if err := checkLen("call_id", d.CallID, maxIDLen, true); err != nil {
		return err
	}
	return checkLen("invitation_id", d.InvitationID, maxIDLen, true)
}

type guestConsentData struct {
	CallID       string `json:"call_id"`
	InvitationID string `json:"invitation_id"`
	Allow        bool   `json:"allow"`
}

func (d *guestConsentData) check() error {
	return (&guestRefData{CallID: d.CallID, InvitationID: d.InvitationID}).check()
}

// guestStatusData tells the resident, the agent and the guest where a
// guest stands.
type guestStatusData struct {
	CallID       string `json:"call_id"`
	InvitationID string `json:"invitation_id"`
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	State        string `json:"state"`
	Message      string `json:"message,omitempty"` // for the guest's page
}

var guestMessages = map[string]string{
	guestWaiting:  "正在等待居民同意，请稍候…",
	guestAdmitted: "居民已同意，正在接通…",
	guestRefused:  "居民没有同意您加入通话。",
	guestRemoved:  "工作人员已请您离开通话。",
	guestLeft:     "您已离开通话。",
	guestEnded:    "通话已结束。",
}

func statusOf(inv invitation) guestStatusData {
	return guestStatusData{CallID: inv.callID, InvitationID: inv.id, Kind: inv.kind, Name: inv.name,
		State: inv.state, Message: guestMessages[inv.state]}
}

// handlingAgent returns the call sess handles as its agent.
func handlingAgent(sess *session, callID string) (*call, error) {
	c, err := sess.callByID(callID)
	if err != nil {
		return nil, err
	}
	if r, _ := c.roleOf(sess); r != roleAgent {
		return nil, protoErr(CodeForbidden, "only the agent handling call %s can do that", callID)
	}
	return c, nil
}

func (s *Server) handleGuestInvite(ctx context.Context, sess *session, m Message) error {
	var d guestInviteData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := handlingAgent(sess, d.CallID)
	if err != nil {
		return err
	}
	if d.Name == "" {
		d.Name = guestNames[d.Kind]
	}
	expires := time.Now().Add(s.cfg.GuestInviteTTL)
	inv, secret, err := s.guests.create(c.id, d.Kind, d.Name, expires)
	if err != nil {
		return err
	}
	s.audit(ctx, sess.ident, "guest.invite", "call", c.id, inv.kind+" "+inv.name)
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_invited", Actor: sess.ident.DisplayName, Detail: inv.kind + " " + inv.name})
	sess.reply(m.ID, TypeGuestInvited, guestInvitedData{
		CallID: c.id, InvitationID: inv.id, Kind: inv.kind, Name: inv.name,
		URL: "/guest/#" + secret, ExpiresAt: expires.UTC().Format(time.RFC3339),
	})
	return nil
}

// guestIdentity is who an auth with an invitation signs in as: a guest
// using it for the first time, or the same guest resuming their session.
func (s *Server) guestIdentity(ctx context.Context, d authData) (identity.Identity, error) {
	if sess := s.session(guestAccountOf(d.Invitation)); d.Resume != "" && sess != nil && sess.remote == nil &&
		sess.id == d.Resume && subtle.ConstantTimeCompare([]byte(d.ResumeToken), []byte(sess.resumeToken)) == 1 {
		return sess.ident, nil
	}
	if _, ok := s.guests.bySecret(d.Invitation); !ok {
		return s.claimAway(ctx, d.Invitation)
	}
	inv, err := s.guests.claim(d.Invitation, time.Now())
	if err != nil {
		return identity.Identity{}, err
	}
	if s.liveCall(inv.callID) == nil {
		return identity.Identity{}, protoErr(CodeInvalidToken, "通话已经结束")
	}
	return inv.identity(), nil
}

// guestArrived asks the resident to let a guest who just signed in join.
func (s *Server) guestArrived(ctx context.Context, sess *session, resumed bool) {
	if resumed {
		return // the session goes on where it was
	}
	if s.arrivedAway(sess) {
		return // the call's node asks the resident
	}
	inv, ok := s.guests.attach(invitationOf(sess), sess)
	c := s.liveCall(inv.callID)
	if !ok || c == nil {
		s.endSession(sess, "call ended")
		return
	}
	s.audit(ctx, sess.ident, "guest.arrive", "call", c.id, inv.kind)
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_waiting", Actor: inv.name, Detail: inv.kind})
	s.tellGuestStatus(c, inv)
}

// tellGuestStatus tells the guest, the resident and the call's agents.
func (s *Server) tellGuestStatus(c *call, inv invitation) {
	d := statusOf(inv)
	if inv.guest != nil {
		inv.guest.push(TypeGuestStatus, d)
	}
	for _, sess := range c.sessions(inv.guest) {
		if r, _ := c.roleOf(sess); r == roleResident || r == roleAgent || r == roleConsulted {
			sess.push(TypeGuestStatus, d)
		}
	}
}

func (s *Server) handleGuestConsent(ctx context.Context, sess *session, m Message) error {
	var d guestConsentData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := sess.callByID(d.CallID)
	if err != nil {
		return err
	}
	if r, _ := c.roleOf(sess); r != roleResident {
		return protoErr(CodeForbidden, "only the resident of call %s can let a guest in", c.id)
	}
	to, decision := guestRefused, "refuse"
	if d.Allow {
		to, decision = guestAdmitted, "allow"
	}
	inv, err := s.guests.move(d.InvitationID, c.id, to, guestWaiting)
	if err != nil {
		return err
	}
	s.audit(ctx, sess.ident, "guest.consent", "call", c.id, decision+" "+inv.kind+" "+inv.name)
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_" + to, Actor: inv.name, Detail: inv.kind})
	sess.reply(m.ID, TypeOK, empty{})
	if !d.Allow {
		s.tellGuestStatus(c, inv)
		s.endSession(inv.guest, "refused")
		return nil
	}
	if err := c.join(inv.guest, inv.role(), fullRights); err != nil {
		return err
	}
	c.labelGuest(inv.guest, inv.label)
	inv.guest.setCall(c)
	s.tellGuestStatus(c, inv)
	inv.guest.push(TypeCallStarted, c.startedFor(inv.guest))
	s.announceParticipants(c)
	return nil
}

// labelGuest gives the guest's media its own label in the call, so that
// two guests are two parties (heard by each other, recorded apart).
func (c *call) labelGuest(sess *session, label string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.find(sess); p != nil {
		p.party = label
	}
}

// mediaParty is the label of p's media: a guest keeps their own.
func (p *participant) mediaParty() string {
	if (p.role == roleGuest || p.role == roleInterpreter) && p.party != "" {
		return p.party
	}
	return partyOf(p.role, p.rights)
}

func (s *Server) handleGuestRemove(ctx context.Context, sess *session, m Message) error {
	var d guestRefData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	c, err := handlingAgent(sess, d.CallID)
	if err != nil {
		return err
	}
	inv, err := s.guests.move(d.InvitationID, c.id, guestRemoved, guestInvited, guestWaiting, guestAdmitted)
	if err != nil {
		return err
	}
	s.audit(ctx, sess.ident, "guest.remove", "call", c.id, inv.kind+" "+inv.name)
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_removed", Actor: sess.ident.DisplayName, Detail: inv.name})
	sess.reply(m.ID, TypeOK, empty{})
	s.guestOut(c, inv, "removed", sess.ident.DisplayName)
	return nil
}

func (s *Server) handleGuestLeave(ctx context.Context, sess *session, m Message) error {
	var d callRef
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	id := invitationOf(sess)
	c := s.liveCall(d.CallID)
	if c == nil {
		return protoErr(CodeNotFound, "call %s has ended", d.CallID)
	}
	inv, err := s.guests.move(id, c.id, guestLeft, guestWaiting, guestAdmitted)
	if err != nil {
		return err
	}
	s.audit(ctx, sess.ident, "guest.leave", "call", c.id, inv.kind)
	s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_left", Actor: inv.name, Detail: inv.kind})
	sess.reply(m.ID, TypeOK, empty{})
	s.guestOut(c, inv, "left", inv.name)
	return nil
}

// guestOut takes a guest out of the call, with their media, and ends their
// session.
func (s *Server) guestOut(c *call, inv invitation, reason, by string) {
	s.tellGuestStatus(c, inv)
	if inv.guest == nil {
		return
	}
	if c.leave(inv.guest) {
		inv.guest.setCallIf(c, nil)
		inv.guest.push(TypeCallEnded, callEndedData{CallID: c.id, Reason: reason, By: by, DurationS: seconds(time.Since(c.started))})
		s.announceParticipants(c)
	}
	s.endSession(inv.guest, reason)
}

// guestGone notes that a guest's session ended without guest.leave (their
// page closed and did not come back).
func (s *Server) guestGone(sess *session) {
	id := invitationOf(sess)
	callID := s.guests.callOf(id)
	inv, err := s.guests.move(id, callID, guestLeft, guestWaiting, guestAdmitted)
	if c := s.liveCall(callID); err == nil && c != nil {
		s.events.add(c.id, calls.Event{At: time.Now(), Type: "guest_left", Actor: inv.name, Detail: inv.kind})
		s.tellGuestStatus(c, inv)
	}
}

// repeatGuestStatus tells a resident or agent whose page came back where
// the call's guests and helper stand, so that a reload loses no consent
// question.
func (s *Server) repeatGuestStatus(sess *session, c *call) {
	switch r, _ := c.roleOf(sess); r {
	case roleResident:
		if h, ok := s.helpers.get(sess.ident.AccountID); ok {
			sess.push(TypeHelperSignedIn, helperSignedInData{Name: h.DisplayName, CallID: c.id})
		}
	case roleAgent:
	default:
		return
	}
	for _, inv := range s.guests.ofCall(c.id) {
		sess.push(TypeGuestStatus, statusOf(inv))
	}
}

// callEndedForGuests ends the sessions of c's guests, and the sign-in of
// the helper at its kiosk.
func (s *Server) callEndedForGuests(c *call) {
	s.helpers.clear(c.req.StationID)
	for _, inv := range s.guests.endCall(c.id) {
		if inv.guest == nil {
			continue
		}
		if inv.state == guestWaiting {
			inv.guest.push(TypeGuestStatus, statusOf(inv))
		}
		s.endSession(inv.guest, "call ended")
	}
}
