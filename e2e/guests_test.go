package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/recordings"
)

// invite has the agent invite a guest of kind into callID and returns the
// invitation's id and secret (the link's part after "#").
func invite(t *testing.T, agent *client.Client, callID, kind, name string) (id, secret string) {
	t.Helper()
	m := request(t, agent, "guest.invite", map[string]string{"call_id": callID, "kind": kind, "name": name})
	url := field[string](t, m, "url")
	path, secret, ok := strings.Cut(url, "#")
	if !ok || path != "/guest/" || secret == "" {
		t.Fatalf("invitation link %q", url)
	}
	return field[string](t, m, "invitation_id"), secret
}

// dialGuest opens a guest's session with an invitation.
func dialGuest(t *testing.T, n *node.Node, secret string) (*client.Client, error) {
	t.Helper()
	c, err := client.DialGuest(ctxT(t), n.URL(), secret)
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

// admit lets the waiting guest of invitation id in from the kiosk.
func admit(t *testing.T, station *client.Client, callID, id string, allow bool) {
	t.Helper()
	for {
		st := next(t, station, "guest.status")
		if field[string](t, st, "invitation_id") == id && field[string](t, st, "state") == "waiting" {
			break
		}
	}
	request(t, station, "guest.consent", map[string]any{"call_id": callID, "invitation_id": id, "allow": allow})
}

// guestState reads the guest's status pushes past waiting.
func guestState(t *testing.T, guest *client.Client) string {
	t.Helper()
	for {
		if st := field[string](t, next(t, guest, "guest.status"), "state"); st != "waiting" {
			return st
		}
	}
}

// audited returns the audit log's actions on objectID.
func audited(t *testing.T, n *node.Node, objectType, objectID string) []string {
	t.Helper()
	entries, err := n.Audit.List(context.Background(), audit.Filter{ObjectType: objectType, ObjectID: objectID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// waitRecorded waits until the call's recording has a finished file of party.
func waitRecorded(t *testing.T, n *node.Node, callID, party string) {
	t.Helper()
	super := token(t, n, "supervisor1")
	deadline := time.Now().Add(15 * time.Second)
	for {
		var d recordings.SessionDetail
		api(t, n, "GET", "/api/v1/recordings/"+callID, super, nil, &d)
		if slices.ContainsFunc(d.Files, func(f recordings.File) bool {
			return f.Party == party && f.Status == recordings.StatusFinished && f.SizeBytes > 0
		}) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished recording of %s among %+v", party, d.Files)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestGuestJoinsAfterConsentIsHeardByBothAndRemovedLosesMedia: the agent
// invites a family member; the guest's page waits until the resident
// agrees on the kiosk; then the guest hears and is heard by the resident
// and the agent, may do nothing but talk, and once the agent removes them
// their media stops and their link can't be used again.
func TestGuestJoinsAfterConsentIsHeardByBothAndRemovedLosesMedia(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	callID, sm, am := talkingCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ctx := ctxT(t)

	id, secret := invite(t, agent, callID, "family", "女儿小林")
	guest, err := dialGuest(t, n, secret)
	if err != nil {
		t.Fatalf("guest opens the link: %v", err)
	}
	if st := field[string](t, next(t, guest, "guest.status"), "state"); st != "waiting" {
		t.Fatalf("the guest is told %s, want to wait for consent", st)
	}
	if _, err := guest.Request(ctx, "rtc.offer", map[string]any{"call_id": callID, "sdp": "v=0"}); client.ErrCode(err) != "invalid_state" {
		t.Errorf("a guest waiting for consent offers media: %v, want invalid_state", err)
	}
	admit(t, station, callID, id, true)
	if got := field[string](t, next(t, guest, "call.started"), "party"); got != "guest1" {
		t.Errorf("the guest's party is %q, want guest1", got)
	}
	gm, err := guest.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := []*client.Media{sm, am, gm}
	sendUntil(t, all, func() bool {
		return sm.Received()["guest1-main/audio"] >= 30 && am.Received()["guest1-main/audio"] >= 30 &&
			gm.Received()["agent-main/audio"] >= 30 && gm.Received()["station-main/audio"] >= 30
	})
	// The guest's phone loses its link and comes back to the call.
	guest, err = guest.Resume(ctx)
	if err != nil {
		t.Fatalf("the guest resumes: %v", err)
	}
	t.Cleanup(guest.Close)
	heardBefore := am.Received()["guest1-main/audio"]
	sendUntil(t, all, func() bool { return am.Received()["guest1-main/audio"] >= heardBefore+30 })
	shown := field[[]map[string]string](t, next(t, agent, "call.participants"), "participants")
	for len(shown) != 3 {
		shown = field[[]map[string]string](t, next(t, agent, "call.participants"), "participants")
	}
	if shown[2]["role"] != "guest" || shown[2]["name"] != "女儿小林" {
		t.Errorf("the agent is shown %v", shown)
	}

	for _, typ := range []string{"chat.send", "call.hangup", "guest.invite", "guest.consent", "monitor.start", "call.request", "agent.state", "call.transfer"} {
		if _, err := guest.Request(ctx, typ, map[string]string{"call_id": callID}); client.ErrCode(err) != "forbidden" {
			t.Errorf("a guest sends %s: %v, want forbidden", typ, err)
		}
	}

	request(t, agent, "guest.remove", map[string]string{"call_id": callID, "invitation_id": id})
	if reason := field[string](t, next(t, guest, "call.ended"), "reason"); reason != "removed" {
		t.Errorf("the guest's call ended with %q, want removed", reason)
	}
	select {
	case <-guest.Done():
	case <-ctx.Done():
		t.Fatal("the removed guest's session is still open")
	}
	heard := sm.Received()["guest1-main/audio"]
	agentSeen := sm.Received()["agent-main/audio"]
	sendUntil(t, all, func() bool { return sm.Received()["agent-main/audio"] >= agentSeen+50 })
	if got := sm.Received()["guest1-main/audio"] - heard; got > 10 {
		t.Errorf("the resident received %d packets of the removed guest", got)
	}
	if _, err := dialGuest(t, n, secret); client.ErrCode(err) != "invalid_token" {
		t.Errorf("the link used a second time: %v, want invalid_token", err)
	}
	waitTimeline(t, n, callID, "guest_invited", "guest_waiting", "guest_admitted", "guest_removed")
	for _, action := range []string{"guest.invite", "guest.arrive", "guest.consent", "guest.remove"} {
		if got := audited(t, n, "call", callID); !slices.Contains(got, action) {
			t.Errorf("%s not audited: %v", action, got)
		}
	}
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	waitRecorded(t, n, callID, "guest1")
}

// TestGuestRefusedWhenConsentDeniedExpiredOrForAnotherCall: a resident who
// says no keeps the guest out; an expired link, and an invitation used in
// or for another call, are refused.
func TestGuestRefusedWhenConsentDeniedExpiredOrForAnotherCall(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	island, agent2 := dial(t, n, "island1"), dial(t, n, "agent2")
	ready(t, agent)
	callA := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	ready(t, agent2)
	callB := startCall(t, island, agent2, itemOf(t, n, "social_security"))
	ctx := ctxT(t)

	if _, err := agent2.Request(ctx, "guest.invite", map[string]string{"call_id": callA, "kind": "family"}); client.ErrCode(err) != "invalid_state" {
		t.Errorf("an agent invites into another agent's call: %v, want invalid_state", err)
	}
	idA, secretA := invite(t, agent, callA, "interpreter", "")
	guest, err := dialGuest(t, n, secretA)
	if err != nil {
		t.Fatal(err)
	}
	next(t, station, "guest.status")
	// The kiosk's page reloads while the guest waits: it is asked again.
	station, err = station.Resume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(station.Close)
	if st := next(t, station, "guest.status"); field[string](t, st, "invitation_id") != idA || field[string](t, st, "state") != "waiting" {
		t.Errorf("the resumed kiosk is told %s, want the guest waiting", st.Data)
	}
	if _, err := island.Request(ctx, "guest.consent", map[string]any{"call_id": callB, "invitation_id": idA, "allow": true}); client.ErrCode(err) != "not_found" {
		t.Errorf("another call's resident lets the guest in: %v, want not_found", err)
	}
	if _, err := agent2.Request(ctx, "guest.remove", map[string]string{"call_id": callB, "invitation_id": idA}); client.ErrCode(err) != "not_found" {
		t.Errorf("another call's agent removes the guest: %v, want not_found", err)
	}
	request(t, station, "guest.consent", map[string]any{"call_id": callA, "invitation_id": idA, "allow": false})
	if st := guestState(t, guest); st != "refused" {
		t.Errorf("the guest is told %s, want refused", st)
	}
	select {
	case <-guest.Done():
	case <-ctx.Done():
		t.Fatal("the refused guest's session is still open")
	}
	if _, err := guest.Request(ctx, "rtc.offer", map[string]any{"call_id": callA, "sdp": "v=0"}); err == nil {
		t.Error("a refused guest could still offer media")
	}

	idB, secretB := invite(t, agent2, callB, "family", "")
	guestB, err := dialGuest(t, n, secretB)
	if err != nil {
		t.Fatal(err)
	}
	admit(t, island, callB, idB, true)
	next(t, guestB, "call.started")
	if _, err := guestB.Request(ctx, "rtc.offer", map[string]any{"call_id": callA, "sdp": "v=0"}); client.ErrCode(err) != "invalid_state" {
		t.Errorf("a guest of call B offers media in call A: %v, want invalid_state", err)
	}
	if _, err := guestB.Request(ctx, "guest.leave", map[string]string{"call_id": callA}); client.ErrCode(err) != "not_found" {
		t.Errorf("a guest of call B leaves call A: %v, want not_found", err)
	}
	waitTimeline(t, n, callA, "guest_invited", "guest_waiting", "guest_refused")

	short := startNode(t, func(c *node.Config) { c.GuestInviteTTL = time.Millisecond })
	st, ag := dial(t, short, "station1"), dial(t, short, "agent1")
	ready(t, ag)
	call := startCall(t, st, ag, itemOf(t, short, "medical_insurance"))
	_, secret := invite(t, ag, call, "family", "")
	time.Sleep(10 * time.Millisecond)
	if _, err := dialGuest(t, short, secret); client.ErrCode(err) != "invalid_token" {
		t.Errorf("an expired link: %v, want invalid_token", err)
	}
}

// TestHelperSignsInOnTheKioskAndIsRecordedOnTheCase: a station helper
// signs in with their PIN before the resident asks for a call; they are in
// the call as a named participant, on the case as who helped, and on the
// call's timeline. A wrong PIN is refused, and the PIN opens nothing else.
func TestHelperSignsInOnTheKioskAndIsRecordedOnTheCase(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ctx := ctxT(t)
	if _, err := station.Request(ctx, "helper.sign_in", map[string]string{"username": "helper1", "pin": "0000"}); client.ErrCode(err) != "forbidden" {
		t.Errorf("a wrong PIN: %v, want forbidden", err)
	}
	if _, err := station.Request(ctx, "helper.sign_in", map[string]string{"username": "agent1", "pin": "demo"}); client.ErrCode(err) != "forbidden" {
		t.Errorf("an agent's account as a helper: %v, want forbidden", err)
	}
	if _, err := agent.Request(ctx, "helper.sign_in", map[string]string{"username": "helper1", "pin": "2468"}); client.ErrCode(err) != "forbidden" {
		t.Errorf("a helper signing in at an agent's console: %v, want forbidden", err)
	}
	if _, err := client.Login(ctx, n.URL(), "helper1", "2468"); err == nil {
		t.Error("a helper's PIN logs in to the console")
	}
	signed := request(t, station, "helper.sign_in", map[string]string{"username": "helper1", "pin": "2468"})
	if name := field[string](t, signed, "name"); name != "东海渔嫂" {
		t.Errorf("signed in as %q", name)
	}
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	shown := field[[]map[string]string](t, next(t, agent, "call.participants"), "participants")
	if len(shown) != 3 || shown[2]["role"] != "helper" || shown[2]["name"] != "东海渔嫂" {
		t.Errorf("the agent is shown %v, want the helper", shown)
	}

	token, err := client.Login(ctx, n.URL(), "supervisor1", "demo")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := httpGet(t, n.URL()+"/api/v1/calls/"+callID+"/case", token)
	var detail struct {
		Helpers []struct{ Name string } `json:"helpers"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &detail) != nil || len(detail.Helpers) != 1 || detail.Helpers[0].Name != "东海渔嫂" {
		t.Errorf("the case says who helped: %d %s", resp.StatusCode, body)
	}
	request(t, station, "helper.sign_out", map[string]string{})
	shown = field[[]map[string]string](t, next(t, agent, "call.participants"), "participants")
	if len(shown) != 2 {
		t.Errorf("after the helper signed out the agent is shown %v", shown)
	}
	waitTimeline(t, n, callID, "case.helper_joined", "helper_left")
	if got := audited(t, n, "station", field[map[string]any](t, station.Welcome, "identity")["id"].(string)); !slices.Contains(got, "station.helper_sign_in") || !slices.Contains(got, "station.helper_sign_out") {
		t.Errorf("the helper's sign-in and sign-out audited: %v", got)
	}
}

// TestGuestOnAnotherNodeJoinsTheCall: in a cluster the guest's link may
// reach a node other than the call's; they still wait for consent, then
// hear and are heard by both, and their 离开 reaches the call.
func TestGuestOnAnotherNodeJoinsTheCall(t *testing.T) {
	a, b := startCluster(t)
	station, agent := dial(t, a, "station1"), dial(t, a, "agent1")
	callID, sm, am := talkingCall(t, station, agent, itemOf(t, a, "medical_insurance"))
	ctx := ctxT(t)
	id, secret := invite(t, agent, callID, "interpreter", "手语翻译")
	guest, err := dialGuest(t, b, secret)
	if err != nil {
		t.Fatalf("the guest opens the link on node B: %v", err)
	}
	if st := field[string](t, next(t, guest, "guest.status"), "state"); st != "waiting" {
		t.Fatalf("the guest on node B is told %s, want to wait", st)
	}
	admit(t, station, callID, id, true)
	next(t, guest, "call.started")
	gm, err := guest.StartMedia(ctx, callID, client.MediaOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sendUntil(t, []*client.Media{sm, am, gm}, func() bool {
		return sm.Received()["interpreter1-main/audio"] >= 30 && am.Received()["interpreter1-main/audio"] >= 30 &&
			gm.Received()["station-main/audio"] >= 30 && gm.Received()["agent-main/audio"] >= 30
	})
	if _, err := guest.Request(ctx, "chat.send", map[string]string{"call_id": callID, "text": "hi"}); client.ErrCode(err) != "forbidden" {
		t.Errorf("a guest on node B chats: %v, want forbidden", err)
	}
	request(t, guest, "guest.leave", map[string]string{"call_id": callID})
	if reason := field[string](t, next(t, guest, "call.ended"), "reason"); reason != "left" {
		t.Errorf("the guest's call ended with %q, want left", reason)
	}
	if _, err := dialGuest(t, b, secret); client.ErrCode(err) != "invalid_token" {
		t.Errorf("the link used again on node B: %v, want invalid_token", err)
	}
	waitTimeline(t, a, callID, "guest_invited", "guest_waiting", "guest_admitted", "guest_left")
}

// TestHelperSignsInDuringACallOnAnotherNode: the kiosk is signed in to
// node A and its call runs on node B; the helper who signs in during the
// call is still in it and on its case.
func TestHelperSignsInDuringACallOnAnotherNode(t *testing.T) {
	a, b := startCluster(t)
	station, agent := dial(t, a, "station1"), dial(t, b, "agent1")
	ready(t, agent)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := station.Request(ctxT(t), "call.request", map[string]any{"item_id": "mi-001"})
		if err == nil {
			break
		}
		if client.ErrCode(err) != "no_agents" || time.Now().After(deadline) {
			t.Fatalf("call.request on node A: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	offer := next(t, agent, "call.offer")
	callID := field[string](t, request(t, agent, "call.accept", map[string]string{"request_id": field[string](t, offer, "request_id")}), "call_id")
	next(t, station, "call.started")
	signed := request(t, station, "helper.sign_in", map[string]string{"username": "helper1", "pin": "2468"})
	if field[string](t, signed, "call_id") != callID {
		t.Errorf("the helper signed in on node A joined %s", signed.Data)
	}
	for {
		shown := field[[]map[string]string](t, next(t, agent, "call.participants"), "participants")
		if slices.ContainsFunc(shown, func(p map[string]string) bool { return p["role"] == "helper" && p["name"] == "东海渔嫂" }) {
			break
		}
	}
	waitTimeline(t, b, callID, "case.helper_joined")
}
