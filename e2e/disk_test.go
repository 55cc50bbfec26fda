package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"cloudwindow/node"
)

type readiness struct {
	Status        string `json:"status"`
	DiskFreeBytes uint64 `json:"disk_free_bytes"`
	Error         struct {
		Code, Message string
	} `json:"error"`
}

func readyz(t *testing.T, n *node.Node) (int, readiness) {
	t.Helper()
	resp, body := httpGet(t, n.URL()+"/readyz", "")
	var r readiness
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	return resp.StatusCode, r
}

// announceScan starts an upload of a scan to callID and returns the
// status and error code.
func announceScan(t *testing.T, n *node.Node, stationToken, callID string) (int, string) {
	t.Helper()
	scan := scanPNG()
	sum := sha256.Sum256(scan)
	var out struct {
		Error struct{ Code string } `json:"error"`
	}
	status := api(t, n, "POST", "/api/v1/uploads", stationToken, map[string]any{"call_id": callID, "filename": "id.png",
		"size": len(scan), "sha256": hex.EncodeToString(sum[:])}, &out)
	return status, out.Error.Code
}

func TestReadyzAndMetricsReportFreeDiskSpace(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.DiskReserve = 1 << 20 })
	status, r := readyz(t, n)
	if status != http.StatusOK || r.Status != "ready" || r.DiskFreeBytes == 0 {
		t.Errorf("readyz with room = %d %+v, want ready with the free bytes", status, r)
	}
	_, metrics := httpGet(t, n.URL()+"/metrics", "")
	for _, name := range []string{"cloudwindow_disk_free_bytes ", "cloudwindow_disk_reserve_bytes 1.048576e+06"} {
		if !strings.Contains(string(metrics), name) {
			t.Errorf("/metrics has no %q", name)
		}
	}
}

func TestFullDiskStopsUploadsAndTakesTheNodeOutOfService(t *testing.T) {
	// A reserve larger than the disk: the volume is "full" for this node.
	n := startNode(t, func(c *node.Config) { c.DiskReserve = 1 << 62 })
	status, r := readyz(t, n)
	if status != http.StatusServiceUnavailable || r.Error.Code != "disk_low" || r.DiskFreeBytes == 0 {
		t.Errorf("readyz on a full disk = %d %+v, want 503 disk_low with the free bytes", status, r)
	}
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	ready(t, agent)
	callID := startCall(t, station, agent, "mi-001")
	if status, code := announceScan(t, n, token(t, n, "station1"), callID); status != http.StatusInsufficientStorage || code != "insufficient_storage" {
		t.Errorf("upload on a full disk = %d %q, want 507 insufficient_storage", status, code)
	}
}

func TestUploadsToAnEndedCallAreRefused(t *testing.T) {
	n := startNode(t, func(c *node.Config) { c.Uploads.Grace = time.Millisecond })
	station, agent := dial(t, n, "station1"), dial(t, n, "agent1")
	stTok := token(t, n, "station1")
	ready(t, agent)
	callID := startCall(t, station, agent, "mi-001")
	if status, code := announceScan(t, n, stTok, callID); status != http.StatusOK {
		t.Fatalf("upload during the call = %d %q", status, code)
	}
	request(t, agent, "call.hangup", map[string]string{"call_id": callID})
	next(t, station, "call.ended")
	time.Sleep(20 * time.Millisecond) // past the 1 ms grace
	if status, code := announceScan(t, n, stTok, callID); status != http.StatusConflict || code != "call_ended" {
		t.Errorf("upload after the call ended = %d %q, want 409 call_ended", status, code)
	}
}
