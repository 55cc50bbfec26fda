package signaling

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloudwindow/auth"
	"cloudwindow/calls"
	"cloudwindow/identity"
)

// A station helper (代办员) signs in on the kiosk with their account and
// PIN (helper.sign_in), during a call or before the resident asks for one.
// They join the station's call as a named participant acting for the
// resident: shown to everyone in it, with no media of their own (the
// kiosk's camera and microphone carry them), and recorded on the case as
// who helped. A sign-in lasts until helper.sign_out or the end of the call.

// roleHelper is a station helper in a call.
const roleHelper role = "helper"

// HelperChecker checks a helper's PIN typed on a kiosk (the auth service).
// Failures are rate-limited like logins.
type HelperChecker interface {
	CheckHelper(ctx context.Context, username, pin, stationID string) (identity.Identity, error)
}

// CaseHelpers records who helped on a case (the case service).
type CaseHelpers interface {
	AddHelper(ctx context.Context, caseID string, helper, station identity.Identity) error
}

type helperSignInData struct {
	Username string `json:"username"`
	PIN      string `json:"pin"`
}

func (d *helperSignInData) check() error {
	if err := checkLen("username", d.Username, maxIDLen, true); err != nil {
		return err
	}
	return checkLen("pin", d.PIN, maxIDLen, true)
}

type helperSignedInData struct {
	Name   string `json:"name"`
	CallID string `json:"call_id,omitempty"` // the call they joined, if the station is in one
}

// helperDesk holds the helper signed in at each kiosk of this node.
type helperDesk struct {
	mu        sync.Mutex
	byStation map[string]identity.Identity
}

func (d *helperDesk) set(stationID string, h identity.Identity) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.byStation == nil {
		d.byStation = map[string]identity.Identity{}
	}
	d.byStation[stationID] = h
}

func (d *helperDesk) get(stationID string) (identity.Identity, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h, ok := d.byStation[stationID]
	return h, ok
}

func (d *helperDesk) clear(stationID string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.byStation, stationID)
}

func (s *Server) handleHelperSignIn(ctx context.Context, sess *session, m Message) error {
	var d helperSignInData
	if err := decodeData(m.Data, &d); err != nil {
		return err
	}
	if s.deps.Helpers == nil {
		return protoErr(CodeForbidden, "station helpers can't sign in on this server")
	}
	h, err := s.deps.Helpers.CheckHelper(ctx, d.Username, d.PIN, sess.ident.AccountID)
	if err != nil {
		return helperRefusal(err)
	}
	s.helpers.set(sess.ident.AccountID, h)
	s.audit(ctx, h, "station.helper_sign_in", "station", sess.ident.AccountID, sess.ident.DisplayName)
	out := helperSignedInData{Name: h.DisplayName}
	if c := sess.currentCall(); c != nil {
		if err := s.helperJoins(ctx, c, sess); err != nil {
			return err
		}
		out.CallID = c.id
	}
	sess.reply(m.ID, TypeHelperSignedIn, out)
	return nil
}

// helperRefusal is what the kiosk is told when a helper's sign-in fails.
func helperRefusal(err error) error {
	var rl *auth.RateLimitError
	switch {
	case errors.As(err, &rl):
		return protoErr(CodeRateLimited, "尝试次数过多，请 %d 秒后再试", int(rl.RetryAfter.Round(time.Second)/time.Second)+1)
	case errors.Is(err, auth.ErrBadCredentials):
		return protoErr(CodeForbidden, "账号或 PIN 不正确")
	case errors.Is(err, auth.ErrDisabled):
		return protoErr(CodeForbidden, "这个代办员账号已停用")
	}
	return fmt.Errorf("check helper: %w", err)
}

func (s *Server) handleHelperSignOut(ctx context.Context, sess *session, m Message) error {
	if err := decodeData(m.Data, &empty{}); err != nil {
		return err
	}
	h, ok := s.helpers.get(sess.ident.AccountID)
	if !ok {
		return protoErr(CodeInvalidState, "no helper is signed in at this station")
	}
	s.helpers.clear(sess.ident.AccountID)
	s.audit(ctx, h, "station.helper_sign_out", "station", sess.ident.AccountID, sess.ident.DisplayName)
	if c := sess.currentCall(); c != nil && c.dropHelper() {
		s.events.add(c.id, calls.Event{At: time.Now(), Type: "helper_left", Actor: h.DisplayName})
		s.announceParticipants(c)
	}
	sess.reply(m.ID, TypeOK, empty{})
	return nil
}

// helperJoins adds the helper signed in at station's kiosk, if any, to
// its call and records them on the case.
func (s *Server) helperJoins(ctx context.Context, c *call, station *session) error {
	h, ok := s.helpers.get(station.ident.AccountID)
	if !ok {
		return nil
	}
	if err := c.joinHelper(&session{id: newSecret("h-"), ident: h}); err != nil {
		return err
	}
	if s.deps.CaseHelpers != nil && c.caseID != "" {
		if err := s.deps.CaseHelpers.AddHelper(ctx, c.caseID, h, station.ident); err != nil {
			return fmt.Errorf("record helper on call %s: %w", c.id, err)
		}
	}
	s.announceParticipants(c)
	return nil
}

// joinHelper makes sess, a socketless session standing for the helper, the
// call's helper, in place of any earlier one.
func (c *call) joinHelper(sess *session) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return protoErr(CodeInvalidState, "call %s has ended", c.id)
	}
	if p := c.byRole(roleHelper); p != nil {
		c.drop(p)
	}
	c.parts = append(c.parts, &participant{sess: sess, role: roleHelper, party: string(roleHelper)})
	return nil
}

// dropHelper takes the helper out of the call; false if there was none.
func (c *call) dropHelper() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.byRole(roleHelper)
	if p == nil || c.ended {
		return false
	}
	c.drop(p)
	return true
}

// audit records what actor did; a failure is logged, not fatal.
func (s *Server) audit(ctx context.Context, actor identity.Identity, action, objectType, objectID, detail string) {
	if s.deps.Audit == nil {
		return
	}
	if err := s.deps.Audit.Record(ctx, actor, action, objectType, objectID, "", detail); err != nil {
		s.log.Error("audit", "action", action, "object", objectID, "err", err)
	}
}
