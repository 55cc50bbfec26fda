package signaling

import (
	"os"
	"regexp"
	"sort"
	"testing"
)

// TestProtocolDocumentListsEveryType keeps docs/protocol.md true: every
// message type in the code has a section there, and the document names no
// type the code does not know.
func TestProtocolDocumentListsEveryType(t *testing.T) {
	doc, err := os.ReadFile("../docs/protocol.md")
	if err != nil {
		t.Fatalf("read protocol document: %v", err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^### `([a-z_.]+)`$").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}
	inCode := map[string]bool{}
	for _, typ := range allTypes {
		inCode[typ] = true
		if !documented[typ] {
			t.Errorf("message type %q is used in code but not documented in docs/protocol.md", typ)
		}
	}
	var extra []string
	for typ := range documented {
		if !inCode[typ] {
			extra = append(extra, typ)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("docs/protocol.md documents types the code does not know: %v", extra)
	}
}
