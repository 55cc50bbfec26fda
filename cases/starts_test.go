package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"cloudwindow/calls"
	"cloudwindow/store/storetest"
)

// startCall is a call from station1 to agent1 not yet recorded.
func (e *env) startCall(id string) calls.Call {
	return calls.Call{
		ID: id, StationID: station1.AccountID, StationName: station1.DisplayName, AgentID: agent1.AccountID,
		AgentName: agent1.DisplayName, ItemID: itemForwarded, ItemName: "事项", Category: "elderly",
		RequestedAt: e.clock.Now(), AcceptedAt: e.clock.Now(), Node: "n1",
	}
}

func TestStartCallsTogether(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		t.Cleanup(e.svc.Close)
		ctx := context.Background()
		const n = 40
		started := make([]Case, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			c := e.startCall(fmt.Sprintf("call-%02d", i))
			if i == 7 {
				c.ID = "call-03" // a call id used twice: only one of them may start
			}
			wg.Go(func() { started[i], errs[i] = e.svc.StartCall(ctx, c) })
		}
		wg.Wait()
		failed := 0
		var numbers []string
		for i := range n {
			if errs[i] != nil {
				failed++
				continue
			}
			cs := started[i]
			got, err := e.svc.ForCall(ctx, cs.CallID)
			if err != nil || got.ID != cs.ID || got.Number != cs.Number {
				t.Fatalf("call %s: stored case %+v / %v, started %+v", cs.CallID, got, err, cs)
			}
			if rec, err := e.calls.Get(ctx, cs.CallID); err != nil || rec.StationID != station1.AccountID {
				t.Fatalf("call %s: record %+v / %v", cs.CallID, rec, err)
			}
			if types := e.hooks.eventTypes(cs.ID); !slices.Equal(types, []string{"opened"}) {
				t.Fatalf("case of %s: events %v, want [opened]", cs.CallID, types)
			}
			numbers = append(numbers, cs.Number)
		}
		if failed != 1 {
			t.Fatalf("%d starts failed, want only the repeated call id", failed)
		}
		slices.Sort(numbers)
		for i, got := range numbers {
			if want := fmt.Sprintf("YW20261120-%04d-", i+1); !strings.HasPrefix(got, want) {
				t.Fatalf("numbers %q: want 0001 … %04d without gaps or repeats", numbers, n-1)
			}
		}
	})
}

func TestStartCallAfterClose(t *testing.T) {
	e := newEnv(t, storetest.OpenSQLite(t))
	if _, err := e.svc.StartCall(context.Background(), e.startCall("call-1")); err != nil {
		t.Fatal(err)
	}
	e.svc.Close()
	e.svc.Close()
	if _, err := e.svc.StartCall(context.Background(), e.startCall("call-2")); !errors.Is(err, ErrClosed) {
		t.Fatalf("start after close: %v, want ErrClosed", err)
	}
	if _, err := e.calls.Get(context.Background(), "call-2"); err == nil {
		t.Fatal("a call started after close was recorded")
	}
}
