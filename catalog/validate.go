package catalog

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what an item may hold. Stations show items on a kiosk screen,
// so names stay short and the material list fits one page.
const (
	maxIDLen        = 40
	maxNameRunes    = 100
	maxGuideRunes   = 300
	maxMaterials    = 30
	maxTimeLimitDay = 60
)

// ValidationError says which field of an item is wrong and why.
type ValidationError struct {
	Field   string
	Problem string
}

func (e *ValidationError) Error() string { return e.Field + " " + e.Problem }

// Is makes every ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// normalize trims the free-text fields and fills the skill group from the
// category when it is missing, the common case for admin-created items.
func normalize(it Item) Item {
	it = it.clone()
	it.ID = strings.TrimSpace(it.ID)
	it.NameZh = strings.TrimSpace(it.NameZh)
	it.NameEn = strings.TrimSpace(it.NameEn)
	it.Category = strings.TrimSpace(it.Category)
	it.SkillGroup = strings.TrimSpace(it.SkillGroup)
	it.GuideZh = strings.TrimSpace(it.GuideZh)
	if it.SkillGroup == "" {
		it.SkillGroup = it.Category
	}
	for i := range it.Materials {
		it.Materials[i].NameZh = strings.TrimSpace(it.Materials[i].NameZh)
		it.Materials[i].NameEn = strings.TrimSpace(it.Materials[i].NameEn)
	}
	return it
}

// validate checks a normalized item; known reports whether a category id
// exists. The first problem found is returned.
func validate(it Item, known func(string) bool) error {
	if !validID(it.ID) {
		return invalid("id", "must be 1-%d lowercase letters, digits and single hyphens, like \"mi-001\"", maxIDLen)
	}
	if err := checkName("name_zh", it.NameZh); err != nil {
		return err
	}
	if err := checkName("name_en", it.NameEn); err != nil {
		return err
	}
	if !known(it.Category) {
		return invalid("category", "%q is not a known category", it.Category)
	}
	if !known(it.SkillGroup) {
		return invalid("skill_group", "%q is not a known category", it.SkillGroup)
	}
	if it.Mode != ModeDirect && it.Mode != ModeAssisted {
		return invalid("mode", "must be %q or %q", ModeDirect, ModeAssisted)
	}
	if it.TimeLimitDays < 0 || it.TimeLimitDays > maxTimeLimitDay {
		return invalid("time_limit_days", "must be between 0 and %d working days", maxTimeLimitDay)
	}
	if err := checkText("guide_zh", it.GuideZh, maxGuideRunes); err != nil {
		return err
	}
	return checkMaterials(it.Materials)
}

func checkMaterials(ms []Material) error {
	if len(ms) == 0 || len(ms) > maxMaterials {
		return invalid("materials", "must list 1 to %d materials", maxMaterials)
	}
	for i, m := range ms {
		if err := checkName(fmt.Sprintf("materials[%d].name_zh", i), m.NameZh); err != nil {
			return err
		}
		if err := checkName(fmt.Sprintf("materials[%d].name_en", i), m.NameEn); err != nil {
			return err
		}
	}
	return nil
}

func checkName(field, s string) error {
	if s == "" {
		return invalid(field, "must not be empty")
	}
	return checkText(field, s, maxNameRunes)
}

func checkText(field, s string, maxRunes int) error {
	if !utf8.ValidString(s) {
		return invalid(field, "must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > maxRunes {
		return invalid(field, "must be at most %d characters (got %d)", maxRunes, n)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return invalid(field, "must not contain control characters or line breaks")
	}
	return nil
}

// validID accepts slugs such as "mi-001" or "senior-card": they appear in
// URLs, call records and logs, so they stay plain ASCII.
func validID(id string) bool {
	if id == "" || len(id) > maxIDLen || id[0] == '-' || id[len(id)-1] == '-' || strings.Contains(id, "--") {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
