package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// items.json is the versioned source of the catalog. Bump "version" when
// changing items so that running installations pick the changes up.
//
//go:embed items.json
var itemsJSON []byte

// dataFile is the shape of items.json.
type dataFile struct {
	Version    int        `json:"version"`
	Categories []Category `json:"categories"`
	Items      []Item     `json:"items"`
}

// parseData decodes and checks a data file. A broken file must stop the
// seed before anything is written, so every item is validated here.
func parseData(b []byte) (dataFile, error) {
	var f dataFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return dataFile{}, fmt.Errorf("decode catalog data: %w", err)
	}
	if f.Version < 1 {
		return dataFile{}, fmt.Errorf("catalog data: version must be at least 1, got %d", f.Version)
	}
	if err := checkCategories(f.Categories); err != nil {
		return dataFile{}, err
	}
	known := categorySet(f.Categories)
	seen := make(map[string]bool, len(f.Items))
	for i, it := range f.Items {
		it = normalize(it)
		if err := validate(it, known); err != nil {
			return dataFile{}, fmt.Errorf("catalog data item %d (%s): %w", i, it.ID, err)
		}
		if seen[it.ID] {
			return dataFile{}, fmt.Errorf("catalog data: item id %s appears twice", it.ID)
		}
		seen[it.ID] = true
		f.Items[i] = it
	}
	return f, nil
}

func checkCategories(cs []Category) error {
	if len(cs) == 0 {
		return fmt.Errorf("catalog data: no categories")
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if !validCategoryID(c.ID) {
			return fmt.Errorf("catalog data: category id %q must be lowercase letters and underscores", c.ID)
		}
		if c.NameZh == "" || c.NameEn == "" {
			return fmt.Errorf("catalog data: category %s needs both names", c.ID)
		}
		if seen[c.ID] {
			return fmt.Errorf("catalog data: category %s appears twice", c.ID)
		}
		seen[c.ID] = true
	}
	return nil
}

// validCategoryID accepts skill-group style ids such as "medical_insurance".
func validCategoryID(id string) bool {
	if id == "" || len(id) > maxIDLen || id[0] == '_' || id[len(id)-1] == '_' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

func categorySet(cs []Category) func(string) bool {
	ids := make(map[string]bool, len(cs))
	for _, c := range cs {
		ids[c.ID] = true
	}
	return func(id string) bool { return ids[id] }
}
