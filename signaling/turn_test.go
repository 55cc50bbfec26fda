package signaling

import (
	"strings"
	"testing"
	"time"
)

func TestTURNCredentialsMatchCoturnRESTScheme(t *testing.T) {
	// Known answer: HMAC-SHA1("secret", "1700003600:agent1"), base64.
	user, cred := TURNCredentials("secret", "agent1", time.Hour, time.Unix(1700000000, 0))
	if user != "1700003600:agent1" {
		t.Errorf("username %q", user)
	}
	if cred != "e0yVCq+BS9lt2yS8g1aSi4imOwA=" {
		t.Errorf("credential %q", cred)
	}
	_, other := TURNCredentials("other-secret", "agent1", time.Hour, time.Unix(1700000000, 0))
	if other == cred {
		t.Error("credential does not depend on the secret")
	}
}

func TestICEServersGetPerSessionCredentials(t *testing.T) {
	s := &Server{cfg: Config{TURNSecret: "k", ICEServers: []ICEServer{
		{URLs: []string{"turn:turn.example:3478"}},
		{URLs: []string{"stun:stun.example:3478"}, Username: "fixed", Credential: "x"},
	}}}
	got := s.iceServersFor("acct")
	if !strings.HasSuffix(got[0].Username, ":acct") || got[0].Credential == "" {
		t.Errorf("TURN server without credentials: %+v", got[0])
	}
	if got[1].Username != "fixed" {
		t.Errorf("configured credentials replaced: %+v", got[1])
	}
	if s.cfg.ICEServers[0].Username != "" {
		t.Error("configuration was modified")
	}
}
