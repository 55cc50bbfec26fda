package appointments

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/auth"
	"cloudwindow/cases"
	"cloudwindow/catalog"
	"cloudwindow/identity"
	"cloudwindow/store"
	"cloudwindow/store/storetest"
)

// The people and stations of the tests.
var (
	station1    = identity.Identity{AccountID: "st-1", Username: "station1", DisplayName: "东沙村", Role: identity.RoleStation}
	station2    = identity.Identity{AccountID: "st-2", Username: "station2", DisplayName: "西岛村", Role: identity.RoleStation, Island: true}
	agent1      = identity.Identity{AccountID: "ag-1", Username: "agent1", DisplayName: "王坐席", Role: identity.RoleAgent}
	agent2      = identity.Identity{AccountID: "ag-2", Username: "agent2", DisplayName: "李坐席", Role: identity.RoleAgent}
	supervisor1 = identity.Identity{AccountID: "su-1", Username: "supervisor1", DisplayName: "张主管", Role: identity.RoleSupervisor}
)

// monday is the tests' "now": Monday 30 November 2026, 08:00 in Shanghai.
var (
	shanghai = time.FixedZone("CST", 8*3600)
	monday   = time.Date(2026, 11, 30, 8, 0, 0, 0, shanghai)
)

const itemElderly = "ts-elderly" // skill group elderly

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type fakeAccounts map[string]auth.Account

func (f fakeAccounts) Account(_ context.Context, id string) (auth.Account, error) {
	a, ok := f[id]
	if !ok {
		return auth.Account{}, auth.ErrNotFound
	}
	return a, nil
}

func (f fakeAccounts) Accounts(_ context.Context, role identity.Role) ([]auth.Account, error) {
	var out []auth.Account
	for _, a := range f {
		if a.Role == role {
			out = append(out, a)
		}
	}
	return out, nil
}

type fakeCases map[string]cases.Case

func (f fakeCases) Get(_ context.Context, id string) (cases.Case, error) {
	c, ok := f[id]
	if !ok {
		return cases.Case{}, cases.ErrNotFound
	}
	return c, nil
}

type env struct {
	db    *store.DB
	svc   *Service
	clock *clock
	cases fakeCases
	audit *audit.Log
}

func forEachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.ForEachDB(t, func(t *testing.T, db *store.DB) { fn(t, newEnv(t, db)) })
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	cat := catalog.NewService(db, nil)
	err := cat.Create(context.Background(), catalog.Item{ID: itemElderly, NameZh: "高龄老人津贴申请", NameEn: "Old-age allowance",
		Category: "elderly", SkillGroup: "elderly", Mode: catalog.ModeAssisted, TimeLimitDays: 5, Enabled: true, GuideZh: "核对身份证",
		Materials: []catalog.Material{{NameZh: "居民身份证", NameEn: "Resident ID card", Required: true}}})
	if err != nil {
		t.Fatalf("create item: %v", err)
	}
	accounts := fakeAccounts{}
	for _, id := range []identity.Identity{station1, station2, supervisor1} {
		accounts[id.AccountID] = auth.Account{ID: id.AccountID, Username: id.Username, DisplayName: id.DisplayName, Role: id.Role, Island: id.Island}
	}
	accounts[agent1.AccountID] = auth.Account{ID: agent1.AccountID, Username: "agent1", DisplayName: agent1.DisplayName, Role: identity.RoleAgent, Skills: []string{"elderly"}}
	accounts[agent2.AccountID] = auth.Account{ID: agent2.AccountID, Username: "agent2", DisplayName: agent2.DisplayName, Role: identity.RoleAgent, Skills: []string{"housing"}}
	cal, err := cases.NewCalendar([]string{"2026-12-01"}, []string{"2026-12-05"}) // Tuesday off, Saturday worked
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, clock: &clock{t: monday}, cases: fakeCases{}, audit: audit.New(db)}
	e.svc = NewService(db, cat, accounts, e.cases, e.audit, Options{Calendar: cal, Location: shanghai, Now: e.clock.Now})
	return e
}

// schedule adds a block, failing the test on error.
func (e *env) schedule(t *testing.T, sc Schedule) Schedule {
	t.Helper()
	out, err := e.svc.AddSchedule(context.Background(), supervisor1, sc)
	if err != nil {
		t.Fatalf("add schedule %+v: %v", sc, err)
	}
	return out
}

// at is a time on a date of the tests' week, in Shanghai.
func at(day, hour, minute int) time.Time {
	return time.Date(2026, 11, 30, hour, minute, 0, 0, shanghai).AddDate(0, 0, day)
}

func (e *env) book(t *testing.T, who identity.Identity, when time.Time) Booking {
	t.Helper()
	b, err := e.svc.Book(context.Background(), who, NewBooking{ItemID: itemElderly, At: when, Name: "王小明", PhoneLast4: "1234"})
	if err != nil {
		t.Fatalf("book %s: %v", when, err)
	}
	return b
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}
