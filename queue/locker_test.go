package queue

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"cloudwindow/bus/bustest"
)

type lockerImpl struct {
	name string
	open func(t *testing.T) Locker
}

func lockers() []lockerImpl {
	impls := []lockerImpl{{"memory", func(*testing.T) Locker { return NewMemoryLocker() }}}
	if os.Getenv("CLOUDWINDOW_TEST_REDIS") != "" {
		impls = append(impls, lockerImpl{"redis", func(t *testing.T) Locker {
			client, prefix := bustest.OpenRedis(t)
			return NewRedisLocker(client, prefix+"lock")
		}})
	}
	return impls
}

func TestLocker(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, l Locker)
	}{
		{"one holder at a time", testLockExclusive},
		{"an expired lock passes on", testLockExpires},
		{"only the holder unlocks", testUnlock},
		{"only the holder saves", testSaveFenced},
		{"a change touches only its entries", testSaveChanges},
	}
	for _, impl := range lockers() {
		for _, c := range cases {
			t.Run(impl.name+"/"+c.name, func(t *testing.T) { c.run(t, impl.open(t)) })
		}
	}
}

func lock(t *testing.T, l Locker, holder string, ttl time.Duration) bool {
	t.Helper()
	held, err := l.Lock(t.Context(), holder, ttl)
	if err != nil {
		t.Fatalf("%s locks: %v", holder, err)
	}
	return held
}

func testLockExclusive(t *testing.T, l Locker) {
	if !lock(t, l, "a", time.Minute) {
		t.Fatal("a did not get a free lock")
	}
	if lock(t, l, "b", time.Minute) {
		t.Fatal("b got the lock a holds")
	}
	if !lock(t, l, "a", time.Minute) {
		t.Fatal("a could not renew its lock")
	}
}

func testLockExpires(t *testing.T, l Locker) {
	lock(t, l, "a", 50*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for !lock(t, l, "b", time.Minute) {
		if time.Now().After(deadline) {
			t.Fatal("b never got the expired lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if lock(t, l, "a", time.Minute) {
		t.Fatal("a took back the lock b holds")
	}
}

func testUnlock(t *testing.T, l Locker) {
	ctx := t.Context()
	lock(t, l, "a", time.Minute)
	if err := l.Unlock(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if lock(t, l, "b", time.Minute) {
		t.Fatal("b unlocked a's lock")
	}
	if err := l.Unlock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if !lock(t, l, "b", time.Minute) {
		t.Fatal("b did not get the released lock")
	}
}

// entry is a saved entry whose data is its id with a version.
func entry(id string, order uint64, version int) StateEntry {
	return StateEntry{ID: id, Order: order, Data: fmt.Appendf(nil, "%s v%d", id, version)}
}

func save(t *testing.T, l Locker, holder string, c StateChange) {
	t.Helper()
	if err := l.Save(t.Context(), holder, c); err != nil {
		t.Fatalf("%s saves: %v", holder, err)
	}
}

// describe lists a saved state as "meta | requests in order | agents".
func describe(t *testing.T, l Locker) string {
	t.Helper()
	s, err := l.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var requests, agents []string
	for _, e := range s.Requests {
		requests = append(requests, string(e.Data))
	}
	for _, e := range s.Agents {
		agents = append(agents, string(e.Data))
	}
	return fmt.Sprintf("%s | %s | %s", s.Meta, strings.Join(requests, ", "), strings.Join(agents, ", "))
}

func testSaveFenced(t *testing.T, l Locker) {
	ctx := t.Context()
	if got := describe(t, l); got != " |  | " {
		t.Fatalf("state before any save = %q; want none", got)
	}
	lock(t, l, "a", time.Minute)
	save(t, l, "a", StateChange{Meta: []byte("m1"), Requests: []StateEntry{entry("r1", 1, 1)}})
	stale := StateChange{Reset: true, Meta: []byte("stale")}
	if err := l.Save(ctx, "b", stale); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("save by b: %v, want ErrNotHolder", err)
	}
	if err := l.Unlock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(ctx, "a", stale); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("save after unlock: %v, want ErrNotHolder", err)
	}
	if got, want := describe(t, l), "m1 | r1 v1 | "; got != want {
		t.Fatalf("state = %q; want the holder's %q", got, want)
	}
}

// testSaveChanges: a change puts and removes only its own entries, keeps
// the requests in order, and a reset replaces everything.
func testSaveChanges(t *testing.T, l Locker) {
	lock(t, l, "a", time.Minute)
	save(t, l, "a", StateChange{
		Reset: true, Meta: []byte("m1"),
		Requests: []StateEntry{entry("r3", 30, 1), entry("r1", 10, 1), entry("r2", 20, 1)},
		Agents:   []StateEntry{entry("b", 0, 1), entry("a", 0, 1)},
	})
	if got, want := describe(t, l), "m1 | r1 v1, r2 v1, r3 v1 | a v1, b v1"; got != want {
		t.Fatalf("after the first save: %q, want %q", got, want)
	}
	save(t, l, "a", StateChange{
		Requests: []StateEntry{entry("r1", 40, 2)}, RemovedRequests: []string{"r2"},
		Agents: []StateEntry{entry("b", 0, 2)}, RemovedAgents: []string{"a"},
	})
	if got, want := describe(t, l), "m1 | r3 v1, r1 v2 | b v2"; got != want {
		t.Fatalf("after a change: %q, want %q", got, want)
	}
	save(t, l, "a", StateChange{Reset: true, Meta: []byte("m2"), Agents: []StateEntry{entry("c", 0, 1)}})
	if got, want := describe(t, l), "m2 |  | c v1"; got != want {
		t.Fatalf("after a reset: %q, want %q", got, want)
	}
}
