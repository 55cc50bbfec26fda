package signaling

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloudwindow/identity"
)

// DefaultGuestInviteTTL is how long a guest invitation may be used.
const DefaultGuestInviteTTL = 15 * time.Minute

// maxInvitesPerCall bounds the invitations of each kind one call may hand out.
const maxInvitesPerCall = 8

// labelPrefix names the media of a guest of each kind in the call.
var labelPrefix = map[string]string{guestFamily: "guest", guestInterpreter: "interpreter"}

// Guest kinds and the states of an invitation.
const (
	guestFamily      = "family"
	guestInterpreter = "interpreter"

	guestInvited  = "invited"  // the link is out, not used yet
	guestWaiting  = "waiting"  // the guest opened it and waits for the resident's consent
	guestAdmitted = "admitted" // in the call
	guestRefused  = "refused"  // the resident said no
	guestRemoved  = "removed"  // the agent took them out
	guestLeft     = "left"     // they left, or their page went away
	guestEnded    = "ended"    // the call ended
)

// invitation is one guest's one-time way into one call. Only the SHA-256
// of its secret is kept.
type invitation struct {
	id      string
	callID  string
	kind    string
	name    string
	expires time.Time
	label   string // the guest's media label in the call: guest1, interpreter1 …
	state   string
	guest   *session // once used
}

// identity is who the guest is while the invitation lasts: no account, a
// name, and nothing the rest of the server grants to a role it knows.
func (inv *invitation) identity() identity.Identity {
	return identity.Identity{AccountID: guestAccount + inv.id, Username: inv.label, DisplayName: inv.name, Role: identity.RoleGuest}
}

// guestAccountOf is the account id of the guest who uses secret.
func guestAccountOf(secret string) string { return guestAccount + "inv-" + hashSecret(secret)[:16] }

// guestAccount prefixes the account id of a guest's session.
const guestAccount = "guest-"

// invitationOf is the invitation id of a guest's session.
func invitationOf(sess *session) string {
	return strings.TrimPrefix(sess.ident.AccountID, guestAccount)
}

// role is the guest's role in the call.
func (inv *invitation) role() role {
	if inv.kind == guestInterpreter {
		return roleInterpreter
	}
	return roleGuest
}

// guestBook holds the invitations of this node's calls, until the call ends.
type guestBook struct {
	mu     sync.Mutex
	byHash map[string]*invitation
	byID   map[string]*invitation
	away   map[string]awayGuest // guests signing in here to a call on another node, by account
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// create hands out a new invitation to callID and its secret. The secret
// ends in the call's id, so that any node of a cluster can tell which node
// holds the call (see guests_cluster.go).
func (b *guestBook) create(callID, kind, name string, expires time.Time) (invitation, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byID == nil {
		b.byHash, b.byID = map[string]*invitation{}, map[string]*invitation{}
	}
	n := 1
	for _, inv := range b.byID {
		if inv.callID == callID && inv.kind == kind {
			n++
		}
	}
	if n > maxInvitesPerCall {
		return invitation{}, "", protoErr(CodeInvalidState, "call %s has handed out %d invitations of this kind already", callID, maxInvitesPerCall)
	}
	secret := newSecret("") + "." + callID
	inv := &invitation{id: "inv-" + hashSecret(secret)[:16], callID: callID, kind: kind, name: name,
		expires: expires, label: labelPrefix[kind] + strconv.Itoa(n), state: guestInvited}
	b.byHash[hashSecret(secret)], b.byID[inv.id] = inv, inv
	return *inv, secret, nil
}

// claim uses the invitation with secret once, at now; the guest then
// waits for the resident's consent.
func (b *guestBook) claim(secret string, now time.Time) (invitation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inv := b.byHash[hashSecret(secret)]
	switch {
	case inv == nil:
		return invitation{}, protoErr(CodeInvalidToken, "这个邀请链接无效，或通话已经结束")
	case inv.state != guestInvited:
		return invitation{}, protoErr(CodeInvalidToken, "这个邀请链接已经用过了")
	case !now.Before(inv.expires):
		return invitation{}, protoErr(CodeInvalidToken, "这个邀请链接已过期，请工作人员重新邀请")
	}
	inv.state = guestWaiting
	return *inv, nil
}

// bySecret returns the invitation with secret, used or not.
func (b *guestBook) bySecret(secret string) (invitation, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inv := b.byHash[hashSecret(secret)]
	if inv == nil {
		return invitation{}, false
	}
	return *inv, true
}

// byAccount returns the invitation a guest's account was made from.
func (b *guestBook) byAccount(account string) (invitation, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inv := b.byID[strings.TrimPrefix(account, guestAccount)]
	if inv == nil {
		return invitation{}, false
	}
	return *inv, true
}

// noteAway keeps a claim the call's node made for a guest signing in here.
func (b *guestBook) noteAway(account string, g awayGuest) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.away == nil {
		b.away = map[string]awayGuest{}
	}
	b.away[account] = g
}

// takeAway returns and forgets the claim noteAway kept.
func (b *guestBook) takeAway(account string) (awayGuest, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	g, ok := b.away[account]
	delete(b.away, account)
	return g, ok
}

// callOf is the call of invitation id; empty if it is gone.
func (b *guestBook) callOf(id string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if inv := b.byID[id]; inv != nil {
		return inv.callID
	}
	return ""
}

// attach notes the session of the guest who used the invitation id.
func (b *guestBook) attach(id string, sess *session) (invitation, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inv := b.byID[id]
	if inv == nil {
		return invitation{}, false
	}
	inv.guest = sess
	return *inv, true
}

// move takes invitation id of callID from one of the states from to to.
func (b *guestBook) move(id, callID, to string, from ...string) (invitation, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inv := b.byID[id]
	if inv == nil || inv.callID != callID {
		return invitation{}, protoErr(CodeNotFound, "no invitation %s in call %s", id, callID)
	}
	for _, f := range from {
		if inv.state == f {
			inv.state = to
			return *inv, nil
		}
	}
	return invitation{}, protoErr(CodeInvalidState, "the guest is %s", inv.state)
}

// ofCall lists callID's invitations still in use.
func (b *guestBook) ofCall(callID string) []invitation {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []invitation
	for _, inv := range b.byID {
		if inv.callID == callID && (inv.state == guestInvited || inv.state == guestWaiting || inv.state == guestAdmitted) {
			out = append(out, *inv)
		}
	}
	slices.SortFunc(out, func(a, b invitation) int { return a.expires.Compare(b.expires) })
	return out
}

// endCall forgets callID's invitations and returns those still in use.
func (b *guestBook) endCall(callID string) []invitation {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []invitation
	for h, inv := range b.byHash {
		if inv.callID != callID {
			continue
		}
		if inv.state == guestWaiting || inv.state == guestAdmitted {
			inv.state = guestEnded
			out = append(out, *inv)
		}
		delete(b.byHash, h)
		delete(b.byID, inv.id)
	}
	return out
}
