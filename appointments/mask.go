package appointments

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameRunes bounds the name a resident types.
const maxNameRunes = 50

// maskName keeps the first character of a name and hides the rest, which
// is enough for an agent to greet the resident (王*, 欧阳** → 欧***).
func maskName(name string) string {
	name = strings.TrimSpace(name)
	r, size := utf8.DecodeRuneInString(name)
	if size == 0 {
		return ""
	}
	rest := utf8.RuneCountInString(name) - 1
	return string(r) + strings.Repeat("*", max(rest, 1))
}

// maskPhone shows only the last four digits, as everywhere phone numbers
// are shown.
func maskPhone(last4 string) string { return "*******" + last4 }

func validPhoneLast4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 || n > maxNameRunes {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
