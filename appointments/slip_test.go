package appointments

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"testing"

	"cloudwindow/cases"
)

// TestSlipStyleIsAllowed: the kiosk shows the slip in a srcdoc frame under
// its Content-Security-Policy, which allows only the receipt pages' style
// blocks; a slip style the policy does not list would print unstyled.
func TestSlipStyleIsAllowed(t *testing.T) {
	blocks := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindAllStringSubmatch(slipTemplateText, -1)
	if len(blocks) == 0 {
		t.Fatal("the slip has no style block")
	}
	for _, m := range blocks {
		sum := sha256.Sum256([]byte(m[1]))
		hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !slices.Contains(cases.InlineStyleHashes(), hash) {
			t.Errorf("slip style %s is not among the allowed %v", hash, cases.InlineStyleHashes())
		}
	}
}
