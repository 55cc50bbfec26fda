package catalog

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// forEachDB runs fn against a freshly seeded Service on every test database.
func forEachDB(t *testing.T, fn func(t *testing.T, s *Service)) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) {
		s := NewService(db, nil)
		if err := s.Seed(context.Background()); err != nil {
			t.Fatalf("seed: %v", err)
		}
		fn(t, s)
	})
}

func embeddedData(t *testing.T) dataFile {
	t.Helper()
	f, err := parseData(itemsJSON)
	if err != nil {
		t.Fatalf("parse items.json: %v", err)
	}
	return f
}

func mustItem(t *testing.T, s *Service, id string) Item {
	t.Helper()
	it, err := s.Item(context.Background(), id)
	if err != nil {
		t.Fatalf("item %s: %v", id, err)
	}
	return it
}

func allItems(t *testing.T, s *Service) []Item {
	t.Helper()
	items, err := s.Items(context.Background(), Query{IncludeDisabled: true})
	if err != nil {
		t.Fatalf("list items: %v", err)
	}
	return items
}

func TestSeedIsIdempotent(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		first := allItems(t, s)
		if want := len(embeddedData(t).Items); len(first) != want {
			t.Fatalf("after seed: %d items, want %d", len(first), want)
		}
		if err := s.Seed(ctx); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		if again := allItems(t, s); !reflect.DeepEqual(first, again) {
			t.Fatal("a second seed of the same file changed the items")
		}
		if v, err := s.Version(ctx); err != nil || v != embeddedData(t).Version {
			t.Fatalf("version = %d, %v; want %d", v, err, embeddedData(t).Version)
		}
		it := mustItem(t, s, "mi-010")
		if !it.Enabled || it.EditedByAdmin || it.NameZh != "门诊大病登记" || len(it.Materials) == 0 {
			t.Fatalf("seeded item mi-010 = %+v", it)
		}
	})
}

func TestSeedNewVersionKeepsAdminEdits(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		edited := mustItem(t, s, "mi-001")
		edited.NameZh = "城乡居民医保参保登记（管理员修改）"
		if err := s.Update(ctx, edited); err != nil {
			t.Fatalf("admin update: %v", err)
		}
		if err := s.SetEnabled(ctx, "ss-004", false); err != nil {
			t.Fatalf("disable: %v", err)
		}

		v2 := embeddedData(t)
		v2.Version++
		v2.Items = append([]Item(nil), v2.Items...)
		for i := range v2.Items {
			switch v2.Items[i].ID {
			case "mi-001", "ss-004", "ss-005":
				v2.Items[i].NameZh += "（新版）"
			}
		}
		added := v2.Items[0]
		added.ID, added.NameZh = "mi-900", "新增医保事项"
		v2.Items = append(v2.Items, added)
		if err := s.seed(ctx, v2); err != nil {
			t.Fatalf("seed version %d: %v", v2.Version, err)
		}

		if got := mustItem(t, s, "mi-001").NameZh; got != edited.NameZh {
			t.Errorf("admin-edited item became %q, want the admin's %q", got, edited.NameZh)
		}
		disabled := mustItem(t, s, "ss-004")
		if disabled.Enabled || disabled.NameZh != "养老金领取资格认证（新版）" {
			t.Errorf("disabled item = %q enabled=%v; want new text and still disabled", disabled.NameZh, disabled.Enabled)
		}
		if got := mustItem(t, s, "ss-005").NameZh; got != "企业职工正常退休审批（新版）" {
			t.Errorf("unedited item not updated: %q", got)
		}
		if got := mustItem(t, s, "mi-900"); !got.Enabled || got.NameZh != "新增医保事项" {
			t.Errorf("new item = %+v", got)
		}
		if v, _ := s.Version(ctx); v != v2.Version {
			t.Errorf("version = %d, want %d", v, v2.Version)
		}

		// An older binary starting later must not roll the text back.
		if err := s.Seed(ctx); err != nil {
			t.Fatalf("seed old version: %v", err)
		}
		if got := mustItem(t, s, "ss-005").NameZh; got != "企业职工正常退休审批（新版）" {
			t.Errorf("older data file rolled item back to %q", got)
		}
		if v, _ := s.Version(ctx); v != v2.Version {
			t.Errorf("version went back to %d", v)
		}
	})
}

func TestItemsSearch(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		tests := []struct {
			name    string
			q       Query
			wantIDs []string // all must be present
			notIDs  []string // none may be present
			check   func(it Item) bool
		}{
			{name: "chinese substring", q: Query{Text: "异地就医"}, wantIDs: []string{"mi-007", "mi-008", "mi-009"},
				check: func(it Item) bool { return strings.Contains(it.NameZh, "异地就医") }},
			{name: "english any case", q: Query{Text: "PROVIDENT fund"}, wantIDs: []string{"ho-001", "ho-010"},
				check: func(it Item) bool { return strings.Contains(strings.ToLower(it.NameEn), "provident fund") }},
			{name: "all words must match", q: Query{Text: "provident retirement"}, wantIDs: []string{"ho-001"}, notIDs: []string{"ho-002"}},
			{name: "by id", q: Query{Text: "dp-008"}, wantIDs: []string{"dp-008"},
				check: func(it Item) bool { return it.ID == "dp-008" }},
			{name: "category", q: Query{Category: "long_term_care"}, wantIDs: []string{"ltc-001", "ltc-010"},
				check: func(it Item) bool { return it.Category == "long_term_care" }},
			{name: "text within category", q: Query{Text: "补贴", Category: "disability"}, wantIDs: []string{"dp-007", "dp-008"},
				check: func(it Item) bool { return it.Category == "disability" && strings.Contains(it.NameZh, "补贴") }},
			{name: "no match", q: Query{Text: "火星移民"}, check: func(Item) bool { return false }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				items, err := s.Items(context.Background(), tt.q)
				if err != nil {
					t.Fatalf("Items(%+v): %v", tt.q, err)
				}
				if items == nil {
					t.Fatal("Items returned nil; an empty result must be an empty list")
				}
				got := map[string]bool{}
				for _, it := range items {
					got[it.ID] = true
					if tt.check != nil && !tt.check(it) {
						t.Errorf("unexpected match %s %s / %s", it.ID, it.NameZh, it.NameEn)
					}
				}
				for _, id := range tt.wantIDs {
					if !got[id] {
						t.Errorf("missing %s", id)
					}
				}
				for _, id := range tt.notIDs {
					if got[id] {
						t.Errorf("%s must not match", id)
					}
				}
			})
		}
		if _, err := s.Items(context.Background(), Query{Category: "no_such"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown category: err = %v, want ErrInvalid", err)
		}
	})
}

func TestItemsAreInDisplayOrder(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		items, err := s.Items(context.Background(), Query{})
		if err != nil {
			t.Fatal(err)
		}
		if items[0].Category != s.Categories()[0].ID {
			t.Fatalf("first item %s is in %s, want the first category %s", items[0].ID, items[0].Category, s.Categories()[0].ID)
		}
		rank := map[string]int{}
		for i, c := range s.Categories() {
			rank[c.ID] = i
		}
		for i := 1; i < len(items); i++ {
			a, b := items[i-1], items[i]
			if rank[a.Category] > rank[b.Category] || (a.Category == b.Category && a.ID > b.ID) {
				t.Fatalf("%s listed before %s", a.ID, b.ID)
			}
		}
	})
}

func TestDisabledItemsAreHiddenFromReaders(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		listed := func(q Query, id string) bool {
			items, err := s.Items(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				if it.ID == id {
					return true
				}
			}
			return false
		}
		if !listed(Query{Text: "临时救助"}, "ca-006") {
			t.Fatal("ca-006 not listed before disabling") // also fills the cache
		}
		if err := s.SetEnabled(ctx, "ca-006", false); err != nil {
			t.Fatal(err)
		}
		if listed(Query{Text: "临时救助"}, "ca-006") {
			t.Error("disabled item still listed for readers")
		}
		if !listed(Query{Text: "临时救助", IncludeDisabled: true}, "ca-006") {
			t.Error("disabled item missing from the admin list")
		}
		if it := mustItem(t, s, "ca-006"); it.Enabled {
			t.Error("Item reports a disabled item as enabled")
		}
		if err := s.SetEnabled(ctx, "ca-006", true); err != nil {
			t.Fatal(err)
		}
		if !listed(Query{Text: "临时救助"}, "ca-006") {
			t.Error("re-enabled item not listed")
		}
	})
}

func TestEditsAreVisibleAtOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		it := mustItem(t, s, "el-003") // fills the cache
		it.NameZh, it.TimeLimitDays = "敬老卡申领（邮寄到家）", 5
		if err := s.Update(ctx, it); err != nil {
			t.Fatal(err)
		}
		got := mustItem(t, s, "el-003")
		if got.NameZh != it.NameZh || got.TimeLimitDays != 5 || !got.EditedByAdmin || !got.Enabled {
			t.Fatalf("after update: %+v", got)
		}
		items, err := s.Items(ctx, Query{Text: "邮寄到家"})
		if err != nil || len(items) != 1 || items[0].ID != "el-003" {
			t.Fatalf("search after update: %v %v", items, err)
		}

		created := it
		created.ID, created.NameZh, created.NameEn = "el-900", "老年人电子敬老卡开通", "Activating the electronic senior card"
		created.Enabled = true
		if err := s.Create(ctx, created); err != nil {
			t.Fatal(err)
		}
		if items, _ := s.Items(ctx, Query{Text: "电子敬老卡"}); len(items) != 1 || items[0].ID != "el-900" {
			t.Fatalf("created item not listed: %v", items)
		}
	})
}

func TestCachedItemsCannotBeChangedByCallers(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		it := mustItem(t, s, "mi-010")
		it.Materials[0].NameZh = "changed"
		items, _ := s.Items(context.Background(), Query{Text: "mi-010"})
		items[0].Materials[0].NameZh = "changed"
		if got := mustItem(t, s, "mi-010").Materials[0].NameZh; got == "changed" {
			t.Fatal("changing a returned item changed the cache")
		}
	})
}

func TestBadEditsChangeNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		good := mustItem(t, s, "hb-001")
		tests := []struct {
			name  string
			edit  func(*Item)
			field string
		}{
			{"empty chinese name", func(it *Item) { it.NameZh = "  " }, "name_zh"},
			{"empty english name", func(it *Item) { it.NameEn = "" }, "name_en"},
			{"unknown category", func(it *Item) { it.Category = "tax" }, "category"},
			{"unknown skill group", func(it *Item) { it.SkillGroup = "tax" }, "skill_group"},
			{"unknown mode", func(it *Item) { it.Mode = "online" }, "mode"},
			{"negative time limit", func(it *Item) { it.TimeLimitDays = -1 }, "time_limit_days"},
			{"time limit too long", func(it *Item) { it.TimeLimitDays = 61 }, "time_limit_days"},
			{"no materials", func(it *Item) { it.Materials = nil }, "materials"},
			{"too many materials", func(it *Item) { it.Materials = make([]Material, 31) }, "materials"},
			{"unnamed material", func(it *Item) { it.Materials[0].NameEn = "" }, "materials[0].name_en"},
			{"line break in name", func(it *Item) { it.NameZh = "生育\n登记" }, "name_zh"},
			{"name too long", func(it *Item) { it.NameZh = string(make([]rune, 101)) }, "name_zh"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				bad := good.clone()
				tt.edit(&bad)
				var verr *ValidationError
				if err := s.Update(ctx, bad); !errors.As(err, &verr) || verr.Field != tt.field || !errors.Is(err, ErrInvalid) {
					t.Fatalf("Update: err = %v, want a validation error on %s", err, tt.field)
				}
				bad.ID = "hb-900"
				if err := s.Create(ctx, bad); !errors.Is(err, ErrInvalid) {
					t.Fatalf("Create: err = %v, want ErrInvalid", err)
				}
			})
		}
		if got := mustItem(t, s, "hb-001"); !reflect.DeepEqual(got, good) {
			t.Fatalf("rejected edits changed the item:\n got %+v\nwant %+v", got, good)
		}
		if _, err := s.Item(ctx, "hb-900"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("rejected create left an item behind: %v", err)
		}
	})
}

func TestEditErrors(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *Service) {
		ctx := context.Background()
		it := mustItem(t, s, "re-002")
		if err := s.Create(ctx, it); !errors.Is(err, ErrExists) {
			t.Errorf("create with a taken id: %v, want ErrExists", err)
		}
		it.ID = "re-999"
		if err := s.Update(ctx, it); !errors.Is(err, ErrNotFound) {
			t.Errorf("update of a missing item: %v, want ErrNotFound", err)
		}
		if err := s.SetEnabled(ctx, "re-999", false); !errors.Is(err, ErrNotFound) {
			t.Errorf("disable a missing item: %v, want ErrNotFound", err)
		}
		if _, err := s.Item(ctx, "re-999"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing item: %v, want ErrNotFound", err)
		}
	})
}
