package stats

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"cloudwindow/audit"
	"cloudwindow/calls"
	"cloudwindow/identity"
	"cloudwindow/rectify"
	"cloudwindow/store"
)

// The center is in China Standard Time; the test's "now" is 2 Dec 2026.
var (
	cst   = time.FixedZone("CST", 8*3600)
	today = time.Date(2026, 12, 2, 10, 0, 0, 0, cst)
	boss  = identity.Identity{AccountID: "su-1", Username: "zhang", DisplayName: "张主管", Role: identity.RoleSupervisor}
)

func newTestService(db *store.DB) *Service {
	names := map[string]string{"medical_insurance": "医保", "social_security": "社保"}
	return NewService(db, audit.New(db), cst, func() time.Time { return today },
		func(id string) string { return names[id] }, nil)
}

// seedCall is one call of the known set.
type seedCall struct {
	id, station, agent, item string
	requested                time.Time
	waitS, handleS           int // handleS 0: still running
	outcome                  string
	score                    int // 0: not rated
	fixedAfter               time.Duration
	caseDue, caseClosed      string // YYYY-MM-DD or empty
}

var (
	stationNames = map[string]string{"s1": "东海社区远程帮办点", "s2": "鲁家峙岛远程帮办点"}
	agentNames   = map[string]string{"a1": "王芳", "a2": "李明"}
	itemCategory = map[string]string{"med1": "medical_insurance", "soc1": "social_security"}
)

func nov(day, hour, minute int) time.Time { return time.Date(2026, 11, day, hour, minute, 0, 0, cst) }

// seed writes calls through the same stores the node uses: the request,
// the call, its end and wrap-up, its case, its rating and its rectification.
func seed(t *testing.T, db *store.DB, list []seedCall, abandoned []seedCall) {
	t.Helper()
	ctx := context.Background()
	cs := calls.NewStore(db)
	for _, c := range abandoned {
		if err := cs.RecordRequest(ctx, request(c)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range list {
		seedOne(t, ctx, db, cs, c)
	}
}

func request(c seedCall) calls.Request {
	return calls.Request{ID: c.id, StationID: c.station, StationName: stationNames[c.station], Island: c.station == "s2",
		ItemID: c.item, ItemName: c.item + "事项", Category: itemCategory[c.item], RequestedAt: c.requested}
}

func seedOne(t *testing.T, ctx context.Context, db *store.DB, cs *calls.Store, c seedCall) {
	t.Helper()
	r := request(c)
	accepted := c.requested.Add(time.Duration(c.waitS) * time.Second)
	call := calls.Call{ID: c.id, StationID: r.StationID, StationName: r.StationName, Island: r.Island, AgentID: c.agent,
		AgentName: agentNames[c.agent], ItemID: c.item, ItemName: r.ItemName, Category: r.Category,
		RequestedAt: c.requested, AcceptedAt: accepted, Node: "n1"}
	must(t, cs.RecordRequest(ctx, r))
	must(t, cs.Create(ctx, call))
	if c.handleS == 0 {
		return
	}
	ended := accepted.Add(time.Duration(c.handleS) * time.Second)
	must(t, cs.End(ctx, c.id, ended, "hangup"))
	must(t, cs.WrapUp(ctx, c.id, c.outcome, ""))
	seedCase(t, ctx, db, c, ended)
	if c.score == 0 {
		return
	}
	rating, err := cs.Rate(ctx, c.station, c.id, c.score, "", ended.Add(time.Minute))
	must(t, err)
	if c.score > rectify.BadRatingMax {
		return
	}
	now := ended
	rs := rectify.NewService(db, audit.New(db), func() time.Time { return now }, slog.New(slog.DiscardHandler))
	_, err = rs.Open(ctx, rating, identity.Identity{AccountID: c.station, Role: identity.RoleStation})
	must(t, err)
	if c.fixedAfter > 0 {
		now = now.Add(c.fixedAfter)
		_, err = rs.Update(ctx, c.id, rectify.StatusFixed, "已回访", boss)
		must(t, err)
	}
}

// seedCase writes the call's case row as the cases service leaves it.
func seedCase(t *testing.T, ctx context.Context, db *store.DB, c seedCall, ended time.Time) {
	t.Helper()
	var closed int64
	if c.caseClosed != "" {
		d, err := time.ParseInLocation(time.DateOnly, c.caseClosed, cst)
		must(t, err)
		closed = store.Millis(d.Add(15 * time.Hour))
	}
	_, err := db.Exec(ctx, `INSERT INTO cases (id, number, call_id, station_id, station_name, agent_id, agent_name,
		item_id, item_name, state, missing, notes, resident, due_date, opened_at, updated_at, closed_at)
		VALUES (?, ?, ?, ?, '', ?, '', ?, '', ?, '[]', '', '{}', ?, ?, ?, ?)`,
		"case-"+c.id, "YW-"+c.id, c.id, c.station, c.agent, c.item, c.outcome, c.caseDue,
		store.Millis(ended), store.Millis(ended), closed)
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
