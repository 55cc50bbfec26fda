package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestReadyzAnswersACodeNotTheInternalError(t *testing.T) {
	dir := t.TempDir()
	n, err := Start(context.Background(), Config{
		Addr: "127.0.0.1:0", DataDir: dir, LoopbackOnly: true, NoRecording: true,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	n.db.DB.Close() // the store goes away

	resp, err := http.Get(n.URL() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil || resp.StatusCode != http.StatusServiceUnavailable || out.Error.Code != "store_unreachable" {
		t.Fatalf("readyz with the store gone = %d %s, want 503 store_unreachable", resp.StatusCode, body)
	}
	for _, leak := range []string{"sql:", "closed", dir} {
		if strings.Contains(string(body), leak) {
			t.Errorf("readyz tells callers %q: %s", leak, body)
		}
	}
}
