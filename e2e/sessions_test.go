package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloudwindow/auth"
	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/store"
)

// signedOut waits (briefly: ending a session is immediate) for the server
// to close c's socket, and checks it said why.
func signedOut(t *testing.T, c *client.Client, who string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(time.Second):
		t.Fatalf("%s's socket is still open a second after its session ended", who)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	m, err := c.Next(ctx, "error")
	if err != nil || field[string](t, m, "code") != "session_ended" {
		t.Fatalf("%s was not told the session ended: %v %s", who, err, m.Data)
	}
}

func accountID(t *testing.T, n *node.Node, username string) string {
	t.Helper()
	a, err := n.Auth.AccountByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// login signs in over HTTP, from the address forwarded (when not empty),
// returning the status and the tokens.
func login(t *testing.T, n *node.Node, username, password, forwardedFor string) (int, auth.Tokens) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return postJSON(t, n, "/api/v1/auth/login", body, forwardedFor)
}

func refresh(t *testing.T, n *node.Node, refreshToken string) (int, auth.Tokens) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"refresh_token": refreshToken})
	return postJSON(t, n, "/api/v1/auth/refresh", body, "")
}

func postJSON(t *testing.T, n *node.Node, path string, body []byte, forwardedFor string) (int, auth.Tokens) {
	t.Helper()
	req, _ := http.NewRequest("POST", n.URL()+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok auth.Tokens
	b, _ := io.ReadAll(resp.Body)
	json.Unmarshal(b, &tok)
	return resp.StatusCode, tok
}

func dialToken(t *testing.T, n *node.Node, token string) *client.Client {
	t.Helper()
	c, err := client.Dial(ctxT(t), n.URL(), token)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// Disabling a supervisor who watches a call cuts them off at once: the
// socket closes and no more of the call's media reaches them. Disabling a
// ready agent takes them out of the queue: no call is offered to them.
func TestDisablingEndsSessionsAtOnce(t *testing.T) {
	n := startNode(t, nil)
	station, agent, supervisor := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "supervisor1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ctx := ctxT(t)
	sm, err := station.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	watched := &receivedLog{counts: map[string]int{}}
	if _, err := supervisor.Watch(ctx, callID, client.MediaOptions{OnPacket: watched.onPacket}); err != nil {
		t.Fatalf("watch: %v", err)
	}
	sendUntil(t, []*client.Media{sm}, func() bool {
		got, _ := watched.snapshot()
		return got["station-main/camera"] >= 10
	})

	admin := token(t, n, "admin")
	if code := api(t, n, "PATCH", "/api/v1/admin/accounts/"+accountID(t, n, "supervisor1"), admin, map[string]bool{"disabled": true}, nil); code != http.StatusOK {
		t.Fatalf("disable supervisor: %d", code)
	}
	signedOut(t, supervisor, "the disabled supervisor")
	sendFor(sm, 300*time.Millisecond) // what was already on its way
	before, _ := watched.snapshot()
	sendFor(sm, time.Second)
	if after, _ := watched.snapshot(); after["station-main/camera"] != before["station-main/camera"] {
		t.Fatalf("the disabled supervisor still gets the call's video: %d → %d packets",
			before["station-main/camera"], after["station-main/camera"])
	}

	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	request(t, agent, "call.wrapup", map[string]any{"call_id": callID, "outcome": "consultation"})
	waitAgentState(t, agent, "ready")
	if code := api(t, n, "PATCH", "/api/v1/admin/accounts/"+accountID(t, n, "agent1"), admin, map[string]bool{"disabled": true}, nil); code != http.StatusOK {
		t.Fatalf("disable agent: %d", code)
	}
	signedOut(t, agent, "the disabled agent")
	_, err = station.Request(ctxT(t), "call.request", map[string]any{"item_id": itemOf(t, n, "medical_insurance")})
	if client.ErrCode(err) != "no_agents" {
		t.Fatalf("call request with the only agent disabled: %v, want no_agents", err)
	}
}

func sendFor(m *client.Media, d time.Duration) {
	end := time.Now().Add(d)
	for i := uint32(1 << 20); time.Now().Before(end); i++ {
		m.SendSynthetic(i)
		time.Sleep(client.FrameInterval)
	}
}

// A change made where no notification reaches the node (the admin command
// line on another machine) still ends the session: the periodic check
// finds it.
func TestPeriodicCheckEndsDisabledSessions(t *testing.T) {
	dir := t.TempDir()
	n := startNode(t, func(c *node.Config) { c.DataDir, c.SessionCheckInterval = dir, 200*time.Millisecond })
	agent := dial(t, n, "agent1")
	ready(t, agent)

	db, err := store.Open(ctxT(t), filepath.Join(dir, "cloudwindow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	opts, err := node.AuthOptions(node.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := auth.NewService(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := cli.SetDisabled(ctxT(t), accountID(t, n, "agent1"), true); err != nil {
		t.Fatal(err)
	}
	select {
	case <-agent.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the disabled agent's socket outlived several session checks")
	}
}

// A password reset ends every session at once: the live socket closes and
// the old access token opens no new one. Logout closes the caller's socket.
func TestPasswordResetAndLogoutEndSessions(t *testing.T) {
	n := startNode(t, nil)
	_, tok := login(t, n, "agent1", "demo", "")
	agent := dialToken(t, n, tok.Token)
	admin := token(t, n, "admin")
	if code := api(t, n, "PATCH", "/api/v1/admin/accounts/"+accountID(t, n, "agent1"), admin, map[string]string{"password": "new-password-1"}, nil); code != http.StatusOK {
		t.Fatalf("reset password: %d", code)
	}
	signedOut(t, agent, "the agent whose password was reset")
	var e struct{ Error struct{ Code string } }
	if code := api(t, n, "GET", "/api/v1/me", tok.Token, nil, &e); code != http.StatusUnauthorized || e.Error.Code != "session_ended" {
		t.Fatalf("old access token after a password reset: %d %s", code, e.Error.Code)
	}
	if _, err := client.Dial(ctxT(t), n.URL(), tok.Token); client.ErrCode(err) != "invalid_token" {
		t.Fatalf("new socket with the old access token: %v", err)
	}
	if code, _ := refresh(t, n, tok.RefreshToken); code != http.StatusUnauthorized {
		t.Fatalf("old refresh token after a password reset: %d", code)
	}

	_, sup := login(t, n, "supervisor1", "demo", "")
	supervisor := dialToken(t, n, sup.Token)
	body, _ := json.Marshal(map[string]string{"refresh_token": sup.RefreshToken})
	if code, _ := postJSON(t, n, "/api/v1/auth/logout", body, ""); code != http.StatusNoContent {
		t.Fatalf("logout: %d", code)
	}
	signedOut(t, supervisor, "the supervisor who logged out")

	_, st := login(t, n, "station1", "demo", "")
	station := dialToken(t, n, st.Token)
	if code := api(t, n, "POST", "/api/v1/auth/logout-everywhere", st.Token, nil, nil); code != http.StatusNoContent {
		t.Fatalf("log out everywhere: %d", code)
	}
	signedOut(t, station, "the station logged out everywhere")
}

// Replaying a used refresh token (R0 after R0 → R1) ends the session it
// belongs to: R1 is refused and the socket opened with it closes.
func TestRefreshTokenReplayClosesTheSocket(t *testing.T) {
	n := startNode(t, nil)
	_, t0 := login(t, n, "agent1", "demo", "")
	code, t1 := refresh(t, n, t0.RefreshToken)
	if code != http.StatusOK {
		t.Fatalf("refresh: %d", code)
	}
	agent := dialToken(t, n, t1.Token)
	if code, _ := refresh(t, n, t0.RefreshToken); code != http.StatusUnauthorized {
		t.Fatalf("replayed R0: %d", code)
	}
	signedOut(t, agent, "the socket of the replayed session")
	if code, _ := refresh(t, n, t1.RefreshToken); code != http.StatusUnauthorized {
		t.Fatalf("R1 after R0 was replayed: %d", code)
	}
}

// Behind a trusted load balancer, guesses at a station's password slow down
// only the guesser's address: the station still signs in, and the
// lock-out shows in /metrics. A client that forges X-Forwarded-For without
// going through a trusted proxy gains nothing.
func TestLoginLimitsDoNotLockOutTheAccount(t *testing.T) {
	n := startNode(t, func(c *node.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	const attacker = "203.0.113.9"
	for range 6 {
		if code, _ := login(t, n, "station1", "guess", attacker); code != http.StatusUnauthorized {
			t.Fatalf("guess: %d", code)
		}
	}
	if code, _ := login(t, n, "station1", "demo", attacker); code != http.StatusTooManyRequests {
		t.Fatalf("the guesser's next try: %d, want 429", code)
	}
	if code, _ := login(t, n, "station1", "demo", "198.51.100.20"); code != http.StatusOK {
		t.Fatalf("the station's own login while being guessed at: %d", code)
	}
	_, metrics := httpGet(t, n.URL()+"/metrics", "")
	if !strings.Contains(string(metrics), `cloudwindow_login_lockouts_total{scope="account_address"} 1`) {
		t.Fatalf("lock-out not counted in /metrics")
	}

	direct := startNode(t, nil) // no trusted proxies: the header is the client's word
	for i := range 6 {
		login(t, direct, "agent1", "guess", "198.51.100."+string(rune('1'+i)))
	}
	if code, _ := login(t, direct, "agent1", "demo", "198.51.100.99"); code != http.StatusTooManyRequests {
		t.Fatalf("forged X-Forwarded-For escaped the limit: %d", code)
	}
}

// In a cluster, disabling an account on one node closes its socket on
// another at once: the news travels on the bus.
func TestDisablingEndsSessionsOnOtherNodes(t *testing.T) {
	a, b := startCluster(t)
	agent := dial(t, b, "agent1")
	ready(t, agent)
	if code := api(t, a, "PATCH", "/api/v1/admin/accounts/"+accountID(t, a, "agent1"), token(t, a, "admin"), map[string]bool{"disabled": true}, nil); code != http.StatusOK {
		t.Fatalf("disable agent on node A: %d", code)
	}
	signedOut(t, agent, "the agent disabled on another node")
}
