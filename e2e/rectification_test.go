package e2e

import (
	"net/http"
	"testing"
)

// rectification is the part of a rectification the test looks at.
type rectification struct {
	CallID    string `json:"call_id"`
	Status    string `json:"status"`
	Score     int    `json:"score"`
	OwnerName string `json:"owner_name"`
	Steps     []struct {
		Status string `json:"status"`
		Note   string `json:"note"`
	} `json:"steps"`
}

func TestBadRatingIsFollowedUpUntilFixed(t *testing.T) {
	n := startNode(t, nil)
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, itemOf(t, n, "social_security"))
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	request(t, station, "rating.submit", map[string]any{"call_id": callID, "score": 1, "comment": "态度不好"})

	sup, agTok := token(t, n, "supervisor1"), token(t, n, "agent1")
	var list struct {
		Rectifications []rectification `json:"rectifications"`
	}
	if code := api(t, n, "GET", "/api/v1/rectifications?status=open", sup, nil, &list); code != http.StatusOK ||
		len(list.Rectifications) != 1 || list.Rectifications[0].CallID != callID || list.Rectifications[0].Score != 1 {
		t.Fatalf("open rectifications: %d %+v", code, list)
	}
	if code := api(t, n, "GET", "/api/v1/rectifications", agTok, nil, nil); code != http.StatusForbidden {
		t.Errorf("agent lists rectifications: %d, want 403", code)
	}

	path := "/api/v1/rectifications/" + callID
	if code := api(t, n, "POST", path, sup, map[string]string{"status": "fixed"}, nil); code != http.StatusBadRequest {
		t.Errorf("close without a note: %d, want 400", code)
	}
	var r rectification
	if code := api(t, n, "POST", path, sup, map[string]string{"status": "in_progress", "note": "调取录像"}, &r); code != http.StatusOK || r.Status != "in_progress" {
		t.Fatalf("start: %d %+v", code, r)
	}
	if code := api(t, n, "POST", path, sup, map[string]string{"status": "fixed", "note": "已约谈坐席，回访居民"}, &r); code != http.StatusOK {
		t.Fatalf("close: %d %+v", code, r)
	}
	if r.Status != "fixed" || r.OwnerName == "" || len(r.Steps) != 3 || r.Steps[2].Note != "已约谈坐席，回访居民" {
		t.Errorf("after closing: %+v", r)
	}
	api(t, n, "GET", "/api/v1/rectifications?status=open,in_progress", sup, nil, &list)
	if len(list.Rectifications) != 0 {
		t.Errorf("still pending after closing: %+v", list.Rectifications)
	}
}
