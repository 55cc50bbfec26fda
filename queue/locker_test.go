package queue

import (
	"cloudwindow/bus/bustest"
	"errors"
	"os"
	"testing"
	"time"
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

func testSaveFenced(t *testing.T, l Locker) {
	ctx := t.Context()
	if state, err := l.Load(ctx); state != nil || err != nil {
		t.Fatalf("state before any save = %q, %v; want none", state, err)
	}
	lock(t, l, "a", time.Minute)
	if err := l.Save(ctx, "a", []byte("queue v1")); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(ctx, "b", []byte("stale")); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("save by b: %v, want ErrNotHolder", err)
	}
	if err := l.Unlock(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := l.Save(ctx, "a", []byte("late")); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("save after unlock: %v, want ErrNotHolder", err)
	}
	if state, err := l.Load(ctx); string(state) != "queue v1" || err != nil {
		t.Fatalf("state = %q, %v; want the holder's", state, err)
	}
}
