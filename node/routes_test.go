package node

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"

	stationclient "cloudwindow/station-client"
)

// A web app's files reach a browser that takes gzip compressed, to a fraction
// of their size, and any other client as they are; both read the same.
// kioskApp serves the kiosk's app as the node does; get asks it for path
// with the request headers given as name, value pairs.
type kioskApp struct{ mux *http.ServeMux }

func newKioskApp() kioskApp {
	mux := http.NewServeMux()
	serveApp(mux, "/station/", stationclient.Files)
	return kioskApp{mux}
}

func (a kioskApp) get(path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			r.Header.Set(header[i], header[i+1])
		}
	}
	w := httptest.NewRecorder()
	a.mux.ServeHTTP(w, r)
	return w
}

func TestAppFilesGoCompressedToBrowsersThatTakeIt(t *testing.T) {
	app := newKioskApp()
	want, err := fs.ReadFile(stationclient.Files, "app.js")
	if err != nil {
		t.Fatal(err)
	}
	plain := app.get("/station/app.js")
	if enc := plain.Header().Get("Content-Encoding"); plain.Code != http.StatusOK || enc != "" || !bytes.Equal(plain.Body.Bytes(), want) {
		t.Fatalf("without Accept-Encoding: %d, Content-Encoding %q, %d bytes, want the file's %d as they are", plain.Code, enc, plain.Body.Len(), len(want))
	}

	zipped := app.get("/station/app.js", "Accept-Encoding", "gzip, deflate, br")
	if zipped.Code != http.StatusOK {
		t.Fatalf("a browser's request: %d", zipped.Code)
	}
	if enc := zipped.Header().Get("Content-Encoding"); enc != "gzip" {
		t.Fatalf("a browser's request got Content-Encoding %q, want gzip", enc)
	}
	if sent := zipped.Body.Len(); sent*2 > len(want) {
		t.Errorf("app.js of %d bytes went as %d, want under half", len(want), sent)
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("app.js inflated to %d bytes (%v), want the file's %d", len(got), err, len(want))
	}
}

// A browser that has a file asks whether it changed and, if not, gets a 304
// with no body, compressed or not; a file that changed comes whole. The app's
// page itself ("/station/") too.
func TestAppFilesAreRevalidated(t *testing.T) {
	app := newKioskApp()
	get := func(path, ifNoneMatch, acceptEncoding string) *httptest.ResponseRecorder {
		return app.get(path, "If-None-Match", ifNoneMatch, "Accept-Encoding", acceptEncoding)
	}
	for _, path := range []string{"/station/app.js", "/station/"} {
		first := get(path, "", "gzip")
		tag := first.Header().Get("ETag")
		if first.Code != http.StatusOK || tag == "" || first.Header().Get("Cache-Control") != "no-cache" {
			t.Fatalf("GET %s: %d, ETag %q, Cache-Control %q; want 200 with an ETag, to be revalidated", path, first.Code, tag, first.Header().Get("Cache-Control"))
		}
		for _, enc := range []string{"gzip", ""} {
			if again := get(path, tag, enc); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("GET %s again (Accept-Encoding %q): %d with %d bytes, want 304 and nothing", path, enc, again.Code, again.Body.Len())
			}
		}
		if changed := get(path, `W/"an-older-version"`, ""); changed.Code != http.StatusOK || changed.Body.Len() == 0 {
			t.Errorf("GET %s with an old tag: %d with %d bytes, want the file", path, changed.Code, changed.Body.Len())
		}
	}
}
