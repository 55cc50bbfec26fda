package cases

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
)

var styleBlock = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// InlineStyleHashes are the Content-Security-Policy hash sources
// ('sha256-…') of the style blocks in the form and receipt pages. The
// station shows those pages in srcdoc frames, which inherit the kiosk
// page's policy, so the policy must allow exactly these styles.
func InlineStyleHashes() []string {
	var out []string
	for _, page := range []string{formTemplateText, receiptTemplateText} {
		for _, m := range styleBlock.FindAllStringSubmatch(page, -1) {
			sum := sha256.Sum256([]byte(m[1]))
			out = append(out, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
	}
	return out
}
