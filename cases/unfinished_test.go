package cases

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"cloudwindow/calls"
	"cloudwindow/identity"
)

func TestUnfinishedCaseIsWrappedUpFromTheConsole(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		srv := e.server(t)
		lost := e.openCase(t, "call-lost", itemForwarded)
		running := e.openCase(t, "call-running", itemForwarded)
		other, err := e.svc.OpenForCall(ctx, e.newCall(t, "call-other", station1, agent2, itemOnTheSpot))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.SetResident(ctx, lost.ID, agent1, Resident{Name: "陈阿婆", Phone: "13812345678"}); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"call-lost", "call-other"} {
			if err := e.calls.End(ctx, id, e.clock.Now(), calls.EndReasonNodeLost); err != nil {
				t.Fatal(err)
			}
		}

		// Each agent sees their own; supervisors see all; stations nothing.
		for _, tc := range []struct {
			who    identity.Identity
			status int
			want   []string
		}{
			{agent1, http.StatusOK, []string{lost.ID}},
			{agent2, http.StatusOK, []string{other.ID}},
			{supervisor1, http.StatusOK, []string{lost.ID, other.ID}},
			{station1, http.StatusForbidden, nil},
		} {
			var out struct{ Cases []Unfinished }
			if got := call(t, srv, "GET", "/api/v1/cases/unfinished", tc.who, nil, &out); got != tc.status {
				t.Fatalf("unfinished cases for %s: status %d, want %d", tc.who.Username, got, tc.status)
			}
			var ids []string
			for _, u := range out.Cases {
				ids = append(ids, u.ID)
				if u.CallEndReason != calls.EndReasonNodeLost || u.Resident.Phone == "13812345678" {
					t.Fatalf("unfinished case %+v, want the call's end reason and the phone masked", u)
				}
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("unfinished cases for %s = %q, want %q", tc.who.Username, ids, tc.want)
			}
		}

		body := wrapUpRequest{Outcome: "forwarded", Notes: "通话中断后补录"}
		for _, tc := range []struct {
			name   string
			who    identity.Identity
			id     string
			body   any
			status int
		}{
			{"another agent", agent2, lost.ID, body, http.StatusForbidden},
			{"a station", station1, lost.ID, body, http.StatusForbidden},
			{"a call still running", agent1, running.ID, body, http.StatusConflict},
			{"an unknown outcome", agent1, lost.ID, wrapUpRequest{Outcome: "lost"}, http.StatusBadRequest},
			{"an unknown case", agent1, "nope", body, http.StatusNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if got := call(t, srv, "POST", "/api/v1/cases/"+tc.id+"/wrapup", tc.who, tc.body, nil); got != tc.status {
					t.Fatalf("status %d, want %d", got, tc.status)
				}
			})
		}
		if c, _ := e.svc.Get(ctx, lost.ID); c.State != StateOpen {
			t.Fatalf("refused wrap-ups changed the case to %s", c.State)
		}

		var done Case
		if got := call(t, srv, "POST", "/api/v1/cases/"+lost.ID+"/wrapup", agent1, body, &done); got != http.StatusOK {
			t.Fatalf("wrap up by its agent: %d", got)
		}
		if done.State != StateForwarded || done.DueDate != "2026-11-27" {
			t.Fatalf("wrapped up case = %+v, want forwarded and due 2026-11-27", done)
		}
		rec, err := e.calls.Get(ctx, "call-lost")
		if err != nil || rec.Outcome != "forwarded" || rec.Notes != body.Notes {
			t.Fatalf("call record after wrap-up = %+v, %v", rec, err)
		}
		if got := call(t, srv, "POST", "/api/v1/cases/"+lost.ID+"/wrapup", agent1, body, nil); got != http.StatusOK {
			t.Fatalf("the same wrap-up again: %d, want 200", got)
		}
		if got := call(t, srv, "POST", "/api/v1/cases/"+other.ID+"/wrapup", supervisor1, wrapUpRequest{Outcome: "consultation"}, nil); got != http.StatusOK {
			t.Fatalf("wrap up by a supervisor: %d", got)
		}
		if actions := e.auditActions(t, lost.ID); !slices.Contains(actions, "ag-1 case.wrapup") || !slices.Contains(actions, "ag-2 case.wrapup.denied") {
			t.Fatalf("audit log = %q, want the wrap-up and the refusal", actions)
		}
		var out struct{ Cases []Unfinished }
		if call(t, srv, "GET", "/api/v1/cases/unfinished", supervisor1, nil, &out); len(out.Cases) != 0 {
			t.Fatalf("unfinished cases after wrap-up: %+v", out.Cases)
		}
	})
}
