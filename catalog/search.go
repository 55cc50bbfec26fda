package catalog

import (
	"sort"
	"strings"
)

// searchKey is the text a query is matched against: id and both names,
// lower-cased, on separate lines so that no query word spans two fields.
func searchKey(it Item) string {
	return strings.ToLower(it.ID + "\n" + it.NameZh + "\n" + it.NameEn)
}

// searchTerms splits a query into lower-case words. Chinese is matched as a
// substring, so "异地就医" finds every 异地就医备案 item without pinyin or
// word segmentation.
func searchTerms(text string) []string {
	return strings.Fields(strings.ToLower(text))
}

func matchesAll(key string, terms []string) bool {
	for _, t := range terms {
		if !strings.Contains(key, t) {
			return false
		}
	}
	return true
}

// filter returns copies of the items (with their search keys) that are in
// category (any when empty) and contain every term.
func filter(items []Item, keys []string, category string, terms []string) []Item {
	out := []Item{}
	for i, it := range items {
		if category != "" && it.Category != category {
			continue
		}
		if matchesAll(keys[i], terms) {
			out = append(out, it.clone())
		}
	}
	return out
}

// sortForDisplay orders items as the data file orders categories, then by
// id, so a station shows 医保 first and items keep a stable place.
func sortForDisplay(items []Item, categoryOrder map[string]int) {
	rank := func(c string) int {
		if r, ok := categoryOrder[c]; ok {
			return r
		}
		return len(categoryOrder)
	}
	sort.SliceStable(items, func(i, j int) bool {
		ri, rj := rank(items[i].Category), rank(items[j].Category)
		if ri != rj {
			return ri < rj
		}
		return items[i].ID < items[j].ID
	})
}
