package stationclient_test

import (
	"io/fs"
	"regexp"
	"testing"

	stationclient "cloudwindow/station-client"
	"cloudwindow/webclient"
)

// TestServiceWorkerKeepsEveryFile checks that the service worker's list
// names every file of the kiosk page and of the shared library, so a kiosk
// that starts without the server does not miss a module.
func TestServiceWorkerKeepsEveryFile(t *testing.T) {
	sw, err := fs.ReadFile(stationclient.Files, "sw.js")
	if err != nil {
		t.Fatalf("read sw.js: %v", err)
	}
	kept := map[string]bool{}
	for _, m := range regexp.MustCompile(`'(/(?:station|lib)/[^']*)'`).FindAllStringSubmatch(string(sw), -1) {
		kept[m[1]] = true
	}
	var want []string
	for _, app := range []struct {
		prefix string
		files  fs.FS
	}{{"/station/", stationclient.Files}, {"/lib/", webclient.Files}} {
		names, err := fs.Glob(app.files, "*")
		if err != nil {
			t.Fatalf("list %s: %v", app.prefix, err)
		}
		for _, name := range names {
			switch name {
			case "sw.js":
			case "index.html":
				want = append(want, app.prefix)
			default:
				want = append(want, app.prefix+name)
			}
		}
	}
	for _, path := range want {
		if !kept[path] {
			t.Errorf("sw.js does not keep %s", path)
		}
		delete(kept, path)
	}
	for path := range kept {
		t.Errorf("sw.js keeps %s, which is not served", path)
	}
}
