package recordings

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"cloudwindow/auth"
	"cloudwindow/identity"
)

// checkedTokens is a Verifier that, like auth.Service, also tells whether
// an account is still enabled.
type checkedTokens struct {
	tokens
	disabled map[string]bool // by account id
}

func (v checkedTokens) Active(_ context.Context, accountID string) error {
	if v.disabled[accountID] {
		return auth.ErrDisabled
	}
	return nil
}

// ticketServer serves the review API of a recorded call (call-1, one
// station file) plus a second recorded call, with account checks.
type ticketServer struct {
	*reviewServer
	other File // the station file of call-2
	v     checkedTokens
}

func newTicketServer(t *testing.T) *ticketServer {
	t.Helper()
	s := newReviewServer(t, testSQLite(t))
	call2 := testCall
	call2.ID = "call-2"
	st := stream{start: s.clock.Now(), length: time.Second, keyEvery: 25, srEvery: time.Second}
	p := s.join(t, call2, "station", true)
	s.feed(p, st.arrivals())
	p.close()
	s.wait(t, call2.ID)

	ts := &ticketServer{reviewServer: s, other: s.files(t, call2.ID)[0], v: checkedTokens{tokens: testTokens, disabled: map[string]bool{}}}
	mux := http.NewServeMux()
	s.Routes(mux, ts.v, s.audit)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return ts
}

func (s *ticketServer) ticket(t *testing.T, token string) Ticket {
	t.Helper()
	var tk Ticket
	decode(t, s.do(t, "POST", mediaPath(testCall.ID, s.file.ID)+"/ticket", token, ""), 200, &tk)
	return tk
}

// plays counts the audited plays made with a ticket.
func (s *ticketServer) plays(t *testing.T) int {
	t.Helper()
	n := 0
	for _, e := range s.audited(t) {
		if e.Action == ActionPlay && strings.Contains(e.Detail, "ticket") {
			if e.ActorID != "su-1" || e.ActorName != "super1" || e.ActorRole != identity.RoleSupervisor {
				t.Errorf("ticket play audited as %s/%s/%s, want the ticket's supervisor", e.ActorID, e.ActorName, e.ActorRole)
			}
			n++
		}
	}
	return n
}

func TestPlayTicketPlaysItsFileWithoutAToken(t *testing.T) {
	s := newTicketServer(t)
	tk := s.ticket(t, "supervisor")
	if !strings.HasPrefix(tk.URL, mediaPath(testCall.ID, s.file.ID)+"?ticket=") {
		t.Fatalf("ticket URL %q is not the file's media URL", tk.URL)
	}
	if want := s.clock.Now().Add(TicketTTL); tk.ExpiresAt.Before(want.Add(-time.Second)) || tk.ExpiresAt.After(want) {
		t.Errorf("ticket expires at %v, want about %v", tk.ExpiresAt, want)
	}
	onDisk, _ := os.ReadFile(s.pathOf(s.file))
	full := s.do(t, "GET", tk.URL, "", "")
	body, _ := io.ReadAll(full.Body)
	if full.StatusCode != 200 || !bytes.Equal(body, onDisk) {
		t.Fatalf("GET with ticket = %d, %d bytes of %d", full.StatusCode, len(body), len(onDisk))
	}
	part := s.do(t, "GET", tk.URL, "", "", "Range", "bytes=10-19")
	body, _ = io.ReadAll(part.Body)
	if part.StatusCode != 206 || !bytes.Equal(body, onDisk[10:20]) {
		t.Errorf("range GET with ticket = %d, %d bytes", part.StatusCode, len(body))
	}
	if n := s.plays(t); n != 2 {
		t.Errorf("%d ticket plays audited, want 2 (every request)", n)
	}
}

func TestBadPlayTicketsAreRefused(t *testing.T) {
	s := newTicketServer(t)
	tk := s.ticket(t, "supervisor")
	ticket := strings.TrimPrefix(tk.URL, mediaPath(testCall.ID, s.file.ID)+"?ticket=")
	payload, mac, _ := strings.Cut(ticket, ".")
	admin := reencode(t, payload, func(c *ticketClaims) { c.AccountID, c.Username, c.Role = "ad-1", "admin", identity.RoleAdmin })
	later := reencode(t, payload, func(c *ticketClaims) { c.Expires += 3600 })
	own := mediaPath(testCall.ID, s.file.ID)
	cases := []struct{ name, path, ticket string }{
		{"another call's file", mediaPath("call-2", s.other.ID), ticket},
		{"another file id of the same call", mediaPath(testCall.ID, s.other.ID), ticket},
		{"claims changed to another account", own, admin + "." + mac},
		{"expiry pushed back", own, later + "." + mac},
		{"signature altered", own, payload + "." + flipFirst(mac)},
		{"signature missing", own, payload},
		{"garbage", own, "not-a-ticket"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := s.do(t, "GET", tc.path+"?ticket="+tc.ticket, "", "")
			var e struct{ Error struct{ Code string } }
			decode(t, resp, http.StatusForbidden, &e)
			if e.Error.Code != "bad_ticket" {
				t.Errorf("error code %q, want bad_ticket", e.Error.Code)
			}
		})
	}
	// A bad ticket is refused even next to a good token.
	if got := s.do(t, "GET", own+"?ticket="+payload, "supervisor", "").StatusCode; got != http.StatusForbidden {
		t.Errorf("bad ticket with a supervisor token = %d, want 403", got)
	}

	s.clock.Set(tk.ExpiresAt)
	if got := s.do(t, "GET", tk.URL, "", "").StatusCode; got != http.StatusForbidden {
		t.Errorf("expired ticket = %d, want 403", got)
	}
	if n := s.plays(t); n != 0 {
		t.Errorf("refused tickets audited %d plays", n)
	}
}

func TestPlayTicketOfADisabledAccountIsRefused(t *testing.T) {
	s := newTicketServer(t)
	tk := s.ticket(t, "supervisor")
	s.v.disabled["su-1"] = true
	if got := s.do(t, "GET", tk.URL, "", "").StatusCode; got != http.StatusForbidden {
		t.Errorf("ticket of a disabled account = %d, want 403", got)
	}
}

func TestOnlySupervisorsAndAdminsGetPlayTickets(t *testing.T) {
	s := newTicketServer(t)
	path := mediaPath(testCall.ID, s.file.ID) + "/ticket"
	for token, want := range map[string]int{"": 401, "forged": 401, "station": 403, "agent": 403, "admin": 200} {
		if got := s.do(t, "POST", path, token, "").StatusCode; got != want {
			t.Errorf("ticket as %q = %d, want %d", token, got, want)
		}
	}
	if got := s.do(t, "POST", mediaPath(testCall.ID, "nope")+"/ticket", "supervisor", "").StatusCode; got != http.StatusNotFound {
		t.Errorf("ticket for an unknown file = %d, want 404", got)
	}
}

func TestPlayTicketsOfASharedSecretWorkOnEveryNode(t *testing.T) {
	db := testSQLite(t)
	s := newReviewServer(t, db)
	node := func(secret string) *Recorder {
		rec, err := New(Config{Dir: t.TempDir(), DB: db, TicketSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rec.Close() })
		return rec
	}
	a, b, other := node("cluster secret"), node("cluster secret"), node("another secret")
	who := testTokens["supervisor"]
	tk, err := a.IssueTicket(context.Background(), testCall.ID, s.file.ID, who)
	if err != nil {
		t.Fatal(err)
	}
	ticket := tk.URL[strings.Index(tk.URL, "ticket=")+len("ticket="):]
	if id, err := b.checkTicket(ticket, testCall.ID, s.file.ID); err != nil || id.AccountID != who.AccountID {
		t.Errorf("node sharing the secret: %+v, %v", id, err)
	}
	if _, err := other.checkTicket(ticket, testCall.ID, s.file.ID); err == nil {
		t.Errorf("node with another secret accepted the ticket")
	}
	if _, err := s.checkTicket(ticket, testCall.ID, s.file.ID); err == nil {
		t.Errorf("node with a random key accepted the ticket")
	}
}

func reencode(t *testing.T, payload string, change func(*ticketClaims)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	var c ticketClaims
	if err == nil {
		err = json.Unmarshal(raw, &c)
	}
	if err != nil {
		t.Fatalf("ticket payload unreadable: %v", err)
	}
	change(&c)
	raw, _ = json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// flipFirst changes the first character: the last one of unpadded base64
// may carry only padding bits.
func flipFirst(s string) string {
	repl := "A"
	if s[0] == 'A' {
		repl = "B"
	}
	return repl + s[1:]
}
