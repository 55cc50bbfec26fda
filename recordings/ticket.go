package recordings

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"cloudwindow/auth"
	"cloudwindow/httpapi"
	"cloudwindow/identity"
)

// Play tickets let a <video> element fetch a recording. A media element
// can't send an Authorization header, and a bearer token must never sit
// in a URL, where it ends up in logs and history. A ticket is worth much
// less: it opens one file, for one account, for TicketTTL, and every
// request made with it is audited under that account.
//
// A ticket is "<payload>.<mac>", both base64url: the payload names the
// account and the expiry, and the HMAC-SHA256 covers the payload together
// with the call and file ids of the URL, so a ticket for one file opens no
// other. The key comes from Config.TicketSecret, or is random per start.

// TicketTTL is how long a play ticket opens its file. Players fetch ranges
// as they go, so it must outlast a few minutes of watching; a page that
// plays longer asks for a new ticket.
const TicketTTL = 5 * time.Minute

// maxTicketLen bounds what is decoded and hashed.
const maxTicketLen = 1024

// errBadTicket is every reason a ticket is refused.
var errBadTicket = errors.New("play ticket not valid for this file")

// Ticket is a URL a media element can play a file from until ExpiresAt.
type Ticket struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// ticketClaims is what a ticket vouches for: enough to audit the access
// without asking the account store.
type ticketClaims struct {
	AccountID string        `json:"a"`
	Username  string        `json:"u"`
	Role      identity.Role `json:"r"`
	Expires   int64         `json:"e"` // Unix seconds
}

// ticketKey derives the MAC key. A configured secret goes through HMAC
// with a fixed label first, so the same secret used for something else
// (TURN credentials, say) never yields interchangeable MACs.
func ticketKey(secret string) ([]byte, error) {
	if secret == "" {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generate play ticket key: %w", err)
		}
		return key, nil
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("cloudwindow recording play ticket v1"))
	return mac.Sum(nil), nil
}

// IssueTicket returns a play ticket for one file of a call, for who.
func (rec *Recorder) IssueTicket(ctx context.Context, callID, fileID string, who identity.Identity) (Ticket, error) {
	f, err := rec.file(ctx, callID, fileID)
	if err != nil {
		return Ticket{}, err
	}
	if f.Status == StatusDeleted {
		return Ticket{}, fmt.Errorf("file %s: %w", fileID, ErrDeleted)
	}
	expires := rec.now().Add(TicketTTL).Truncate(time.Second)
	claims := ticketClaims{AccountID: who.AccountID, Username: who.Username, Role: who.Role, Expires: expires.Unix()}
	raw, err := json.Marshal(claims)
	if err != nil {
		return Ticket{}, fmt.Errorf("encode play ticket: %w", err)
	}
	payload := base64.RawURLEncoding.EncodeToString(raw)
	ticket := payload + "." + base64.RawURLEncoding.EncodeToString(rec.ticketMAC(callID, fileID, payload))
	return Ticket{URL: mediaPath(callID, fileID) + "?ticket=" + ticket, ExpiresAt: expires.UTC()}, nil
}

// checkTicket returns the identity a ticket vouches for, if it is genuine,
// made for this file and not expired.
func (rec *Recorder) checkTicket(ticket, callID, fileID string) (identity.Identity, error) {
	payload, sig, ok := strings.Cut(ticket, ".")
	if !ok || len(ticket) > maxTicketLen {
		return identity.Identity{}, fmt.Errorf("%w: malformed", errBadTicket)
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, rec.ticketMAC(callID, fileID, payload)) {
		return identity.Identity{}, fmt.Errorf("%w: signature does not match", errBadTicket)
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var c ticketClaims
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		return identity.Identity{}, fmt.Errorf("%w: unreadable claims", errBadTicket)
	}
	if !rec.now().Before(time.Unix(c.Expires, 0)) {
		return identity.Identity{}, fmt.Errorf("%w: expired", errBadTicket)
	}
	return identity.Identity{AccountID: c.AccountID, Username: c.Username, Role: c.Role}, nil
}

func (rec *Recorder) ticketMAC(callID, fileID, payload string) []byte {
	mac := hmac.New(sha256.New, rec.ticketKey)
	for _, part := range []string{"play", callID, fileID, payload} {
		mac.Write([]byte(part))
		mac.Write([]byte{0}) // ids never contain NUL, so parts can't run into each other
	}
	return mac.Sum(nil)
}

func mediaPath(callID, fileID string) string {
	return "/api/v1/recordings/" + url.PathEscape(callID) + "/files/" + url.PathEscape(fileID)
}

// accountChecker is the part of auth.Service that tells whether an account
// was disabled since its ticket was issued; a Verifier that has it is asked.
type accountChecker interface {
	Active(ctx context.Context, accountID string) error
}

// issueTicket answers POST …/files/{fileID}/ticket.
func (a *reviewAPI) issueTicket(w http.ResponseWriter, r *http.Request) {
	id, _ := httpapi.IdentityFrom(r.Context())
	t, err := a.rec.IssueTicket(r.Context(), r.PathValue("callID"), r.PathValue("fileID"), id)
	if err != nil {
		a.fail(w, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, t)
}

// mediaAccess lets a media request in on a ?ticket= alone, or else on a
// bearer token through withToken. A request that brings a ticket is judged
// by the ticket only: a bad one is refused even beside a good token, so a
// page never plays by accident of what else it sent.
func (a *reviewAPI) mediaAccess(v httpapi.Verifier, withToken http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ticket := r.URL.Query().Get("ticket")
		if ticket == "" {
			withToken(w, r)
			return
		}
		id, err := a.rec.checkTicket(ticket, r.PathValue("callID"), r.PathValue("fileID"))
		if err != nil {
			httpapi.WriteError(w, http.StatusForbidden, "bad_ticket", err.Error())
			return
		}
		if err := a.stillActive(r.Context(), v, id.AccountID); err != nil {
			if errors.Is(err, auth.ErrDisabled) || errors.Is(err, auth.ErrNotFound) {
				httpapi.WriteError(w, http.StatusForbidden, "bad_ticket", "the ticket's account is disabled")
				return
			}
			a.fail(w, err)
			return
		}
		a.media(w, r.WithContext(httpapi.WithIdentity(r.Context(), id)))
	}
}

func (a *reviewAPI) stillActive(ctx context.Context, v httpapi.Verifier, accountID string) error {
	c, ok := v.(accountChecker)
	if !ok {
		return nil
	}
	if err := c.Active(ctx, accountID); err != nil {
		return fmt.Errorf("account of play ticket: %w", err)
	}
	return nil
}
