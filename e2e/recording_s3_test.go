package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloudwindow/client"
	"cloudwindow/node"
	"cloudwindow/objectstore"
	"cloudwindow/objectstore/objectstoretest"
	"cloudwindow/recordings"
)

// A call recorded on a node whose recordings live in an S3-compatible
// store: its parts land in the bucket with the index's SHA-256 and leave
// the node's disk, the review plays them with range requests under the
// usual audit, a legal hold keeps them through retention, and retention
// then deletes them from the bucket.
func TestRecordingsOnObjectStorage(t *testing.T) {
	s3 := objectstoretest.Config(t)
	bucket := objectstoretest.Open(t, s3)
	secretFile := filepath.Join(t.TempDir(), "s3-secret")
	if err := os.WriteFile(secretFile, []byte(s3.SecretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	n := startNode(t, func(c *node.Config) {
		c.DataDir = dataDir
		c.RecordingsURL, c.RecordingsAccessKey, c.RecordingsSecretKeyFile = s3.URL, s3.AccessKey, secretFile
		c.Retention = time.Millisecond // everything is expired by the time it is asked
	})
	callID := recordedCall(t, n, func(station, agent *client.Media) { sendSynthetic(100, station, agent) })
	files := waitUploaded(t, n, callID)

	for _, f := range files {
		size, sum, err := bucket.Stat(ctxT(t), f.ObjectKey)
		if err != nil || size != f.SizeBytes || sum != f.SHA256 {
			t.Fatalf("%s in the bucket: %d bytes, sha256 %q, %v; index: %d bytes, %s", f.Party, size, sum, err, f.SizeBytes, f.SHA256)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "recordings", filepath.FromSlash(f.Path))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still on the node's disk after its upload: %v", f.Party, err)
		}
	}

	super := token(t, n, "supervisor1")
	var d recordings.SessionDetail
	if code := api(t, n, "GET", "/api/v1/recordings/"+callID, super, nil, &d); code != 200 {
		t.Fatalf("session page = %d", code)
	}
	for _, f := range files {
		playRangeFromBucket(t, n, bucket, super, f)
	}
	checkAudited(t, n, callID, 1+2*len(files))

	// A legal hold keeps every part in the bucket through retention.
	if code := api(t, n, "PUT", "/api/v1/recordings/"+callID+"/hold", super, map[string]bool{"hold": true}, nil); code != 200 {
		t.Fatalf("hold = %d", code)
	}
	if removed, err := n.Recorder.ApplyRetention(ctxT(t)); err != nil || removed != 0 {
		t.Fatalf("retention under a legal hold removed %d files, %v", removed, err)
	}
	for _, f := range files {
		if _, _, err := bucket.Stat(ctxT(t), f.ObjectKey); err != nil {
			t.Fatalf("%s left the bucket under a legal hold: %v", f.Party, err)
		}
	}

	// Lifted, retention deletes them from the bucket.
	if code := api(t, n, "PUT", "/api/v1/recordings/"+callID+"/hold", super, map[string]bool{"hold": false}, nil); code != 200 {
		t.Fatalf("unhold = %d", code)
	}
	if removed, err := n.Recorder.ApplyRetention(ctxT(t)); err != nil || removed != len(files) {
		t.Fatalf("retention removed %d of %d files, %v", removed, len(files), err)
	}
	for _, f := range files {
		if _, _, err := bucket.Stat(ctxT(t), f.ObjectKey); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still in the bucket after retention: %v", f.Party, err)
		}
		if resp, _ := httpGet(t, n.URL()+"/api/v1/recordings/"+callID+"/files/"+f.ID, super); resp.StatusCode != http.StatusGone {
			t.Errorf("%s after retention: %d, want 410", f.Party, resp.StatusCode)
		}
	}
	checkAudited(t, n, callID, 3+2*len(files))
}

// waitUploaded waits until every file of the call is in the object store
// only, and returns them.
func waitUploaded(t *testing.T, n *node.Node, callID string) []recordings.File {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		d, err := n.Recorder.Session(ctxT(t), callID)
		if err != nil {
			t.Fatal(err)
		}
		remote := 0
		for _, f := range d.Files {
			if f.Storage == recordings.StoredRemote {
				remote++
			}
		}
		if remote == len(d.Files) && remote == 3 {
			return d.Files
		}
		if time.Now().After(deadline) {
			t.Fatalf("files not uploaded: %+v", d.Files)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// playRangeFromBucket asks for a range with a play ticket, as a <video>
// seeking does, and then the whole file with the supervisor's token; both
// must be the bucket's bytes.
func playRangeFromBucket(t *testing.T, n *node.Node, bucket *objectstore.Store, super string, f recordings.File) {
	t.Helper()
	var ticket recordings.Ticket
	path := "/api/v1/recordings/" + f.CallID + "/files/" + f.ID
	if code := api(t, n, "POST", path+"/ticket", super, nil, &ticket); code != 200 {
		t.Fatalf("ticket = %d", code)
	}
	req, _ := http.NewRequest("GET", n.URL()+ticket.URL, nil)
	first, last := f.SizeBytes/3, f.SizeBytes/3+999
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", first, last))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r, _, err := bucket.Open(context.Background(), f.ObjectKey, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	whole, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, whole[first:last+1]) {
		t.Fatalf("%s range: %d, %d bytes, equal to the bucket's: %v", f.Party, resp.StatusCode, len(got), bytes.Equal(got, whole[first:min(last+1, int64(len(whole)))]))
	}
	resp, body := httpGet(t, n.URL()+path, super)
	sum := sha256.Sum256(body)
	if resp.StatusCode != 200 || hex.EncodeToString(sum[:]) != f.SHA256 || resp.Header.Get("X-Content-SHA256") != f.SHA256 {
		t.Fatalf("%s whole file: %d, %d bytes, sha256 %x, want %s", f.Party, resp.StatusCode, len(body), sum, f.SHA256)
	}
}
