package e2e

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"testing"

	"cloudwindow/audit"
	"cloudwindow/node"
)

// TestBackOfficeSeesTheCaseAndScansOfTheCall: during a consultation the
// back-office agent reads the case and the resident's scan, audited; an
// agent who was never in the call is refused both, and that is audited too.
// After the hand-over the back office still reads them.
func TestBackOfficeSeesTheCaseAndScansOfTheCall(t *testing.T) {
	n := startNode(t, nil)
	station, agent, back := dial(t, n, "station1"), dial(t, n, "agent1"), dial(t, n, "backoffice1")
	stTok, backTok, strangerTok := token(t, n, "station1"), token(t, n, "backoffice1"), token(t, n, "agent2")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "medical_insurance"))
	scan := scanPNG()
	uploadScan(t, n, stTok, callID, scan)

	request(t, agent, "call.consult", map[string]string{"call_id": callID, "skill_group": "backoffice"})
	ready(t, back)
	next(t, back, "call.offer")
	request(t, back, "call.accept", map[string]string{"request_id": callID})

	var list struct {
		Documents []struct {
			ID string `json:"id"`
		} `json:"documents"`
	}
	if code := api(t, n, "GET", "/api/v1/calls/"+callID+"/documents", backTok, nil, &list); code != http.StatusOK || len(list.Documents) != 1 {
		t.Fatalf("the back office lists the call's scans: %d %+v", code, list)
	}
	docID := list.Documents[0].ID
	if resp, body := httpGet(t, n.URL()+"/api/v1/documents/"+docID, backTok); resp.StatusCode != http.StatusOK || !bytes.Equal(body, scan) {
		t.Errorf("the back office reads the scan: %d, %d bytes", resp.StatusCode, len(body))
	}
	var cs struct {
		ID     string `json:"id"`
		Number string `json:"number"`
	}
	if code := api(t, n, "GET", "/api/v1/calls/"+callID+"/case", backTok, nil, &cs); code != http.StatusOK || cs.Number == "" {
		t.Errorf("the back office reads the case: %d %+v", code, cs)
	}
	for _, path := range []string{"/api/v1/documents/" + docID, "/api/v1/calls/" + callID + "/documents", "/api/v1/calls/" + callID + "/case"} {
		if resp, _ := httpGet(t, n.URL()+path, strangerTok); resp.StatusCode != http.StatusForbidden {
			t.Errorf("an agent never in the call gets %s: %d, want 403", path, resp.StatusCode)
		}
	}

	request(t, agent, "call.consult_end", map[string]string{"call_id": callID, "action": "handover"})
	next(t, agent, "call.ended")
	if resp, _ := httpGet(t, n.URL()+"/api/v1/documents/"+docID, backTok); resp.StatusCode != http.StatusOK {
		t.Errorf("the back office reads the scan after the hand-over: %d", resp.StatusCode)
	}
	request(t, back, "call.hangup", map[string]string{"call_id": callID})

	wantAudited(t, n, "document", docID, map[string]string{"backoffice1": "document.view", "agent2": "document.view.denied"})
	wantAudited(t, n, "case", cs.ID, map[string]string{"backoffice1": "case.view", "agent2": "case.view.denied"})
}

// wantAudited fails unless each actor (by username) has an entry with the given
// action on the object.
func wantAudited(t *testing.T, n *node.Node, objectType, objectID string, want map[string]string) {
	t.Helper()
	entries, err := n.Audit.List(context.Background(), audit.Filter{ObjectType: objectType, ObjectID: objectID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for name, action := range want {
		if !slices.ContainsFunc(entries, func(e audit.Entry) bool { return e.ActorName == name && e.Action == action }) {
			t.Errorf("%s's %s of %s %s is not audited: %+v", name, action, objectType, objectID, entries)
		}
	}
}
