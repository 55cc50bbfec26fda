package catalog

import (
	"strings"
	"testing"
	"unicode"
)

// The data file is what residents pick from; these checks keep it usable
// when someone edits it by hand.
func TestDataFileIsComplete(t *testing.T) {
	f, err := parseData(itemsJSON)
	if err != nil {
		t.Fatalf("items.json does not parse: %v", err)
	}
	if len(f.Items) < 200 {
		t.Errorf("items.json has %d items, want at least 200", len(f.Items))
	}
	known := categorySet(f.Categories)
	perCategory := map[string]int{}
	ids, names := map[string]bool{}, map[string]bool{}
	for _, it := range f.Items {
		if ids[it.ID] {
			t.Errorf("duplicate id %s", it.ID)
		}
		if names[it.NameZh] {
			t.Errorf("duplicate name_zh %s", it.NameZh)
		}
		ids[it.ID], names[it.NameZh] = true, true
		perCategory[it.Category]++
		checkDataItem(t, it, known)
	}
	for _, want := range []string{"medical_insurance", "social_security", "long_term_care", "civil_affairs",
		"disability", "health_birth", "employment", "elderly", "housing", "residence"} {
		if perCategory[want] < 5 {
			t.Errorf("category %s has %d items, want at least 5", want, perCategory[want])
		}
	}
	for _, c := range f.Categories {
		if perCategory[c.ID] == 0 {
			t.Errorf("category %s has no items", c.ID)
		}
	}
}

func checkDataItem(t *testing.T, it Item, known func(string) bool) {
	t.Helper()
	if !known(it.Category) || it.SkillGroup != it.Category {
		t.Errorf("%s: category %q / skill group %q, want a known category used as skill group", it.ID, it.Category, it.SkillGroup)
	}
	if !hasHan(it.NameZh) || hasHan(it.NameEn) {
		t.Errorf("%s: name_zh %q must be Chinese and name_en %q English", it.ID, it.NameZh, it.NameEn)
	}
	if it.GuideZh == "" {
		t.Errorf("%s: guide_zh is empty", it.ID)
	}
	if len(it.Materials) == 0 {
		t.Errorf("%s: no materials", it.ID)
	}
	required := false
	for _, m := range it.Materials {
		required = required || m.Required
		if !hasHan(m.NameZh) || hasHan(m.NameEn) {
			t.Errorf("%s: material %q / %q needs a Chinese and an English name", it.ID, m.NameZh, m.NameEn)
		}
	}
	if !required {
		t.Errorf("%s: every material is optional; at least one must be required", it.ID)
	}
	if it.Enabled || it.EditedByAdmin || !it.UpdatedAt.IsZero() {
		t.Errorf("%s: the data file must not set enabled, edited_by_admin or updated_at", it.ID)
	}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

func TestParseDataRejectsBrokenFiles(t *testing.T) {
	valid := `{"id":"mi-001","name_zh":"异地就医备案","name_en":"Registration","category":"mi","mode":"direct","time_limit_days":0,"signature_required":true,"materials":[{"name_zh":"身份证","name_en":"ID card","required":true}],"guide_zh":"核对"}`
	cats := `"categories":[{"id":"mi","name_zh":"医保","name_en":"Medical insurance"}]`
	tests := []struct {
		name, json, want string
	}{
		{"no version", `{` + cats + `,"items":[` + valid + `]}`, "version"},
		{"unknown field", `{"version":1,"extra":1,` + cats + `,"items":[]}`, "unknown field"},
		{"duplicate id", `{"version":1,` + cats + `,"items":[` + valid + `,` + valid + `]}`, "twice"},
		{"unknown category", `{"version":1,"categories":[{"id":"x","name_zh":"其他","name_en":"Other"}],"items":[` + valid + `]}`, "category"},
		{"bad mode", `{"version":1,` + cats + `,"items":[` + strings.Replace(valid, `"direct"`, `"walk-in"`, 1) + `]}`, "mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseData([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseData: got %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}
