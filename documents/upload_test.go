package documents

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"cloudwindow/store"
)

// Each scenario breaks the upload somewhere, then resumes as a station
// does after its link comes back: the agent must get exactly the file.
func TestUploadInterruptedAndResumedGivesTheExactFile(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		for i, tc := range []struct {
			name      string
			interrupt func(t *testing.T, u *uploader)
		}{
			{"lost after announcing", func(t *testing.T, u *uploader) {}},
			{"link dropped in the middle of a chunk", func(t *testing.T, u *uploader) {
				if got := u.put(0, nil); got != http.StatusOK {
					t.Fatalf("chunk 0: %d", got)
				}
				if got := u.put(1, newCutReader(u.chunk(1), testChunk/2)); got == http.StatusOK {
					t.Fatal("a cut chunk was accepted")
				}
			}},
			{"some chunks in, out of order", func(t *testing.T, u *uploader) {
				for _, i := range []int{3, 0, 2} {
					if got := u.put(i, nil); got != http.StatusOK {
						t.Fatalf("chunk %d: %d", i, got)
					}
				}
			}},
			{"a chunk corrupted in transit", func(t *testing.T, u *uploader) {
				bad := bytes.Clone(u.chunk(2))
				bad[100] ^= 0xFF
				if got := u.put(2, bad); got != http.StatusUnprocessableEntity {
					t.Fatalf("corrupted chunk: %d, want 422", got)
				}
			}},
			{"a chunk sent twice", func(t *testing.T, u *uploader) {
				for range 2 {
					if got := u.put(1, nil); got != http.StatusOK {
						t.Fatalf("chunk 1: %d", got)
					}
				}
			}},
			{"a short last chunk padded", func(t *testing.T, u *uploader) {
				last := u.state.Chunks - 1
				if got := u.put(last, append(bytes.Clone(u.chunk(last)), 0)); got != http.StatusBadRequest {
					t.Fatalf("padded last chunk: %d, want 400", got)
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				call := e.newCall(t, fmt.Sprintf("call-%d", i))
				data := noisyPNG(t, 60, uint64(i)) // about 14 KiB: four chunks
				u := e.uploader(t, station1, data)
				if got := u.begin(call.ID, "身份证正面.png", "image/png"); got != http.StatusOK {
					t.Fatalf("begin: %d", got)
				}
				if u.state.Chunks < 4 {
					t.Fatalf("test file spans %d chunks, want at least 4", u.state.Chunks)
				}
				first := u.state.UploadID
				tc.interrupt(t, u)

				// The station comes back and announces the file again.
				if got := u.begin(call.ID, "身份证正面.png", "image/png"); got != http.StatusOK || u.state.UploadID != first {
					t.Fatalf("re-announcing: status %d, upload %s, want the same upload %s", got, u.state.UploadID, first)
				}
				if got := u.sendMissing(); got != http.StatusOK {
					t.Fatalf("resume: %d", got)
				}
				if u.state.Status != "done" || u.state.Document == nil {
					t.Fatalf("after every chunk: %+v", u.state)
				}
				checkStored(t, e, call.ID, data)

				// A late retry of the whole thing changes nothing.
				if got := u.begin(call.ID, "身份证正面.png", "image/png"); got != http.StatusOK || u.state.Status != "done" {
					t.Fatalf("retry after done: %d %+v", got, u.state)
				}
				if got := u.put(0, nil); got != http.StatusOK || u.state.Status != "done" {
					t.Fatalf("chunk after done: %d %+v", got, u.state)
				}
				checkStored(t, e, call.ID, data)
			})
		}
	})
}

// checkStored asserts the call has exactly one document and that the
// agent downloads exactly data.
func checkStored(t *testing.T, e *env, callID string, data []byte) {
	t.Helper()
	list, err := e.svc.ListForCall(context.Background(), callID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("call has %d documents, want 1", len(list))
	}
	d := list[0]
	if d.SHA256 != hexSHA(data) || d.Size != int64(len(data)) || d.ContentType != "image/png" || d.CaseID == "" {
		t.Fatalf("document = %+v", d)
	}
	status, got := e.request(t, "GET", d.URL, agent1, nil, nil)
	if status != http.StatusOK || hexSHA(got) != hexSHA(data) {
		t.Fatalf("agent download: status %d, %d bytes, hash equal %v", status, len(got), hexSHA(got) == hexSHA(data))
	}
}

func TestUploadRefusesBadFiles(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0x90}, 5000)...)
		html := []byte("<html><script>alert(document.cookie)</script></html>")
		for i, tc := range []struct {
			name        string
			data        []byte
			filename    string
			contentType string
			sha         string // announced; the data's own when empty
			beginStatus int
			endStatus   int // after the last chunk, when begin succeeded
			wantType    string
		}{
			{"a PNG", noisyPNG(t, 20, 1), "scan.png", "", "", 200, 200, "image/png"},
			{"a JPEG", smallJPEG(t), "scan.jpeg", "image/jpeg", "", 200, 200, "image/jpeg"},
			{"a PDF", smallPDF(), "申请表.pdf", "application/pdf", "", 200, 200, "application/pdf"},
			{"a PNG named .jpg but announced as nothing", noisyPNG(t, 20, 2), "photo.jpg", "", "", 200, 200, "image/png"},
			{"a program named .jpg", exe, "scan.jpg", "image/jpeg", "", 200, 415, ""},
			{"a web page named .png", html, "scan.png", "", "", 200, 415, ""},
			{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "scan.gif", "", "", 200, 415, ""},
			{"a PDF announced as PNG", smallPDF(), "scan.png", "image/png", "", 200, 415, ""},
			{"a JPEG header on junk", append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, 300)...), "a.jpg", "", "", 200, 415, ""},
			{"a PDF cut short", smallPDF()[:60], "a.pdf", "", "", 200, 415, ""},
			{"a JPEG followed by a web page", append(smallJPEG(t), html...), "scan.jpg", "image/jpeg", "", 200, 415, ""},
			{"a PDF that runs JavaScript", pdfWith("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>", ""), "a.pdf", "", "", 200, 415, ""},
			{"a whole-file checksum that does not match", noisyPNG(t, 20, 3), "a.png", "", hexSHA([]byte("other")), 200, 422, ""},
			{"announced as a zip", smallPDF(), "a.zip", "application/zip", "", 415, 0, ""},
			{"over the size limit", make([]byte, 64<<10+1), "big.png", "", "", 413, 0, ""},
			{"an empty file", []byte{}, "empty.png", "", "", 400, 0, ""},
			{"a malformed checksum", smallPDF(), "a.pdf", "", "abc", 400, 0, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				call := e.newCall(t, fmt.Sprintf("call-%d", i))
				sha := tc.sha
				if sha == "" {
					sha = hexSHA(tc.data)
				}
				u := e.uploader(t, station1, tc.data)
				status, raw := e.request(t, "POST", "/api/v1/uploads", station1, UploadRequest{
					CallID: call.ID, Filename: tc.filename, Size: int64(len(tc.data)), SHA256: sha, ContentType: tc.contentType,
				}, nil)
				if status != tc.beginStatus {
					t.Fatalf("begin: %d %s, want %d", status, raw, tc.beginStatus)
				}
				if status == http.StatusOK {
					u.state = decode[UploadState](t, raw)
					if got := u.sendMissing(); got != tc.endStatus {
						t.Fatalf("last chunk: %d, want %d", got, tc.endStatus)
					}
				}
				list, err := e.svc.ListForCall(context.Background(), call.ID)
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantType == "" {
					if len(list) != 0 {
						t.Fatalf("a refused file was stored: %+v", list)
					}
					if u.state.UploadID != "" {
						if u.refresh(); u.state.Status != "failed" || u.state.Error == "" {
							t.Fatalf("refused upload state = %+v, want failed with a reason", u.state)
						}
					}
					return
				}
				if len(list) != 1 || list[0].ContentType != tc.wantType || list[0].Filename != tc.filename {
					t.Fatalf("stored %+v, want one %s", list, tc.wantType)
				}
			})
		}
	})
}

func TestFailedUploadCanStartAgain(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		call := e.newCall(t, "call-1")
		data := noisyPNG(t, 30, 9)
		u := e.uploader(t, station1, data)
		u.begin(call.ID, "a.png", "image/jpeg") // announced wrongly: refused at the end
		failed := u.state.UploadID
		if got := u.sendMissing(); got != http.StatusUnsupportedMediaType {
			t.Fatalf("wrongly announced file: %d", got)
		}
		if got := u.put(0, nil); got != http.StatusConflict {
			t.Fatalf("chunk to a failed upload: %d, want 409", got)
		}
		if got := u.begin(call.ID, "a.png", "image/png"); got != http.StatusOK || u.state.UploadID == failed || len(u.state.Received) != 0 {
			t.Fatalf("starting again: %d %+v, want a new, empty upload", got, u.state)
		}
		if got := u.sendMissing(); got != http.StatusOK || u.state.Status != "done" {
			t.Fatalf("second attempt: %d %+v", got, u.state)
		}
	})
}

func TestConcurrentAnnouncementsShareOneUpload(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		call := e.newCall(t, "call-1")
		data := noisyPNG(t, 30, 4)
		ids := make([]string, 6)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				st, err := e.svc.Begin(context.Background(), station1, UploadRequest{CallID: call.ID, Filename: "a.png", Size: int64(len(data)), SHA256: hexSHA(data)})
				if err != nil {
					t.Errorf("begin: %v", err)
				}
				ids[i] = st.UploadID
			})
		}
		wg.Wait()
		if ids[0] == "" || slices.ContainsFunc(ids, func(id string) bool { return id != ids[0] }) {
			t.Fatalf("concurrent announcements got uploads %q, want one", ids)
		}
	})
}

func TestAssemblyLeftByADeadNodeIsFinished(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		call := e.newCall(t, "call-1")
		data := noisyPNG(t, 30, 5)
		st, err := e.svc.Begin(ctx, station1, UploadRequest{CallID: call.ID, Filename: "a.png", Size: int64(len(data)), SHA256: hexSHA(data)})
		if err != nil {
			t.Fatal(err)
		}
		u, err := e.svc.loadUpload(ctx, station1, st.UploadID)
		if err != nil {
			t.Fatal(err)
		}
		// Every chunk is stored, then the node dies holding the claim.
		for i := range u.chunks() {
			part := data[i*testChunk : min((i+1)*testChunk, len(data))]
			if err := e.svc.storeChunk(ctx, u, i, part, hexSHA(part)); err != nil {
				t.Fatal(err)
			}
		}
		stale := store.Millis(time.Now().Add(-time.Hour))
		if _, err := e.db.Exec(ctx, `UPDATE uploads SET status = 'assembling', updated_at = ? WHERE id = ?`, stale, u.id); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.Upload(ctx, station1, u.id)
		if err != nil || got.Status != "done" || got.Document == nil || got.Document.SHA256 != hexSHA(data) {
			t.Fatalf("resuming after the dead node: %+v, %v", got, err)
		}
	})
}

func TestPurgeUploadsDropsOnlyStaleUnfinishedOnes(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		call := e.newCall(t, "call-1")
		stale := e.uploader(t, station1, noisyPNG(t, 60, 6))
		stale.begin(call.ID, "stale.png", "")
		stale.put(0, nil)
		done := e.uploader(t, station1, smallPDF())
		done.begin(call.ID, "done.pdf", "")
		done.sendMissing()

		n, err := e.svc.PurgeUploads(ctx, time.Now().Add(time.Hour))
		if err != nil || n != 1 {
			t.Fatalf("purged %d, %v; want the one unfinished upload", n, err)
		}
		if got := stale.refresh(); got != http.StatusNotFound {
			t.Fatalf("purged upload still answers %d", got)
		}
		if got := done.refresh(); got != http.StatusOK || done.state.Status != "done" {
			t.Fatalf("finished upload after purge: %d %+v", got, done.state)
		}
	})
}
