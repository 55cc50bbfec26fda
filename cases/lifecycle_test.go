package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloudwindow/identity"
)

func TestWrapUpOutcomes(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		for i, tc := range []struct {
			name     string
			item     string
			outcome  string
			missing  []string
			state    State
			due      string
			closed   bool
			detail   string
			wantMiss []string
		}{
			{"done on the spot", itemOnTheSpot, "done", nil, StateDone, "", true, "", []string{}},
			{"forwarded gets the item's time limit", itemForwarded, "forwarded", nil, StateForwarded, "2026-11-27", false, "due 2026-11-27", []string{}},
			{"forwarded on-the-spot item gets one working day", itemOnTheSpot, "forwarded", nil, StateForwarded, "2026-11-23", false, "due 2026-11-23", []string{}},
			{"needs materials lists them", itemForwarded, "needs_materials", []string{" 户口簿 ", "户口簿", "结婚证"}, StateNeedsMaterials, "", false, "missing: 户口簿, 结婚证", []string{"户口簿", "结婚证"}},
			{"consultation only", itemForwarded, "consultation", nil, StateConsultation, "", true, "", []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				opened := e.openCase(t, fmt.Sprintf("call-%d", i), tc.item)
				if opened.State != StateOpen || !strings.HasPrefix(opened.Number, "YW20261120-") {
					t.Fatalf("opened case = %+v, want state open and a number of 20 November", opened)
				}
				c, err := e.svc.WrapUp(ctx, opened.CallID, agent1, tc.outcome, tc.missing, "已告知居民")
				if err != nil {
					t.Fatalf("wrap up: %v", err)
				}
				stored, err := e.svc.Get(ctx, opened.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range []Case{c, stored} {
					if got.State != tc.state || got.DueDate != tc.due || got.ClosedAt.IsZero() == tc.closed ||
						!slices.Equal(got.Missing, tc.wantMiss) || got.Notes != "已告知居民" {
						t.Fatalf("case = state %s due %q closed %v missing %q notes %q; want %s %q %v %q",
							got.State, got.DueDate, got.ClosedAt, got.Missing, got.Notes, tc.state, tc.due, tc.closed, tc.wantMiss)
					}
				}
				events, err := e.svc.Events(ctx, stored)
				if err != nil {
					t.Fatal(err)
				}
				if len(events) != 2 || events[0].Type != "opened" || events[1].Type != "wrapped_up" {
					t.Fatalf("events = %+v, want opened then wrapped_up", events)
				}
				last := events[1]
				if last.FromState != StateOpen || last.ToState != tc.state || last.ActorID != agent1.AccountID ||
					last.ActorName != agent1.DisplayName || last.Detail != tc.detail {
					t.Fatalf("wrap-up event = %+v", last)
				}
				if got := e.hooks.eventTypes(opened.ID); !slices.Equal(got, []string{"opened", "wrapped_up"}) {
					t.Fatalf("OnEvent got %q", got)
				}
				ce := last.CallEvent()
				if ce.Type != "case.wrapped_up" || ce.Actor != agent1.DisplayName || !strings.Contains(ce.Detail, "open → "+string(tc.state)) {
					t.Fatalf("call event = %+v", ce)
				}
			})
		}
	})
}

func TestWrapUpRefusals(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		for _, tc := range []struct {
			name    string
			actor   identity.Identity
			outcome string
			missing []string
			notes   string
			want    error
		}{
			{"unknown outcome", agent1, "lost", nil, "", ErrInvalid},
			{"needs materials without a list", agent1, "needs_materials", []string{" "}, "", ErrInvalid},
			{"missing materials on another outcome", agent1, "done", []string{"户口簿"}, "", ErrInvalid},
			{"notes too long", agent1, "done", nil, strings.Repeat("长", maxNotesRunes+1), ErrInvalid},
			{"control characters in notes", agent1, "done", nil, "a\x00b", ErrInvalid},
			{"another agent", agent2, "done", nil, "", ErrForbidden},
			{"a station", station1, "done", nil, "", ErrForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.WrapUp(ctx, c.CallID, tc.actor, tc.outcome, tc.missing, tc.notes)
				wantErr(t, err, tc.want)
				if got, _ := e.svc.Get(ctx, c.ID); got.State != StateOpen {
					t.Fatalf("a refused wrap-up changed the case to %s", got.State)
				}
			})
		}
		if _, err := e.svc.WrapUp(ctx, "no-such-call", agent1, "done", nil, ""); err == nil {
			t.Fatal("wrap-up of an unknown call succeeded")
		}

		first, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, "转民政科")
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, "转民政科")
		if err != nil || again.DueDate != first.DueDate {
			t.Fatalf("repeating the same wrap-up = %+v, %v; want the case unchanged", again, err)
		}
		_, err = e.svc.WrapUp(ctx, c.CallID, agent1, "done", nil, "")
		wantErr(t, err, ErrConflict)
		events, _ := e.svc.Events(ctx, c)
		if len(events) != 2 {
			t.Fatalf("%d events after a repeated and a refused wrap-up, want 2", len(events))
		}
	})
}

func TestCompleteForwardedCase(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		_, err := e.svc.Complete(ctx, c.ID, supervisor1, "")
		wantErr(t, err, ErrConflict) // still open: the agent has not wrapped up
		if _, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, ""); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Complete(ctx, c.ID, station1, "")
		wantErr(t, err, ErrForbidden)
		e.clock.Set(friday.Add(72 * time.Hour))
		done, err := e.svc.Complete(ctx, c.ID, supervisor1, "民政科已办结")
		if err != nil {
			t.Fatal(err)
		}
		if done.State != StateDone || !done.ClosedAt.Equal(friday.Add(72*time.Hour)) || done.DueDate != "2026-11-27" {
			t.Fatalf("completed case = %+v", done)
		}
		events, _ := e.svc.Events(ctx, done)
		last := events[len(events)-1]
		if last.Type != "completed" || last.FromState != StateForwarded || last.ToState != StateDone || last.ActorID != supervisor1.AccountID {
			t.Fatalf("last event = %+v", last)
		}
	})
}

func TestOpenForCallIsIdempotentAndNumbersAreUnique(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		call := e.newCall(t, "call-same", station1, agent1, itemForwarded)
		var wg sync.WaitGroup
		same := make([]Case, 4)
		errs := make([]error, 4)
		for i := range same {
			wg.Go(func() { same[i], errs[i] = e.svc.OpenForCall(ctx, call) })
		}
		wg.Wait()
		for i := range same {
			if errs[i] != nil || same[i].ID != same[0].ID || same[i].Number != same[0].Number {
				t.Fatalf("opening the same call concurrently gave %+v / %v, want one case", same[i], errs[i])
			}
		}
		if n := len(e.hooks.eventTypes(same[0].ID)); n != 1 {
			t.Fatalf("%d opened events for one case, want 1", n)
		}

		const n = 12
		numbers := make([]string, n)
		for i := range n {
			c := e.newCall(t, fmt.Sprintf("call-%02d", i), station1, agent1, itemForwarded)
			wg.Go(func() {
				opened, err := e.svc.OpenForCall(ctx, c)
				if err != nil {
					t.Errorf("open %s: %v", c.ID, err)
				}
				numbers[i] = opened.Number
			})
		}
		wg.Wait()
		slices.Sort(numbers)
		for i, got := range numbers {
			if want := fmt.Sprintf("YW20261120-%04d-", i+2); !strings.HasPrefix(got, want) || len(got) != len(want)+checkDigits {
				t.Fatalf("numbers = %q, want YW20261120-0002-…… … -%04d-…… without gaps or repeats", numbers, n+1)
			}
		}

		e.clock.Set(friday.Add(24 * time.Hour))
		next := e.openCase(t, "call-next-day", itemForwarded)
		if !strings.HasPrefix(next.Number, "YW20261121-0001-") {
			t.Fatalf("first number of the next day = %s, want YW20261121-0001-……", next.Number)
		}
	})
}

func TestOverdue(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		late := e.openCase(t, "call-late", itemForwarded)
		if _, err := e.svc.SetResident(ctx, late.ID, agent1, Resident{Name: "陈阿婆", IDNumber: "31011019400101123X", Phone: "13812345678"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.WrapUp(ctx, late.CallID, agent1, "forwarded", nil, ""); err != nil {
			t.Fatal(err)
		}
		finished := e.openCase(t, "call-finished", itemForwarded)
		if _, err := e.svc.WrapUp(ctx, finished.CallID, agent1, "forwarded", nil, ""); err != nil {
			t.Fatal(err)
		}
		spot := e.openCase(t, "call-spot", itemOnTheSpot)
		if _, err := e.svc.WrapUp(ctx, spot.CallID, agent1, "done", nil, ""); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name string
			now  time.Time
			want []string
		}{
			{"before the due date", friday, nil},
			{"on the due date", time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC), nil},
			{"the working day after", time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), []string{late.Number, finished.Number}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.clock.Set(tc.now)
				list, err := e.svc.Overdue(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range list {
					got = append(got, c.Number)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("overdue = %q, want %q", got, tc.want)
				}
			})
		}
		if _, err := e.svc.Complete(ctx, finished.ID, supervisor1, ""); err != nil {
			t.Fatal(err)
		}
		list, err := e.svc.Overdue(ctx)
		if err != nil || len(list) != 1 || list[0].ID != late.ID {
			t.Fatalf("overdue after completing one = %+v, %v", list, err)
		}
		if r := list[0].Resident; r.IDNumber != "3101**********123X" || r.Phone != "138****5678" {
			t.Fatalf("overdue list shows resident %+v, want numbers masked", r)
		}
	})
}

func TestByNumberShowsNothingPersonal(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		resident := Resident{Name: "陈阿婆", IDNumber: "31011019400101123X", Phone: "13812345678", Address: "东沙村3组", Request: "申请高龄津贴"}
		if _, err := e.svc.SetResident(ctx, c.ID, agent1, resident); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, "内部备注"); err != nil {
			t.Fatal(err)
		}
		st, err := e.svc.ByNumber(ctx, " "+strings.ToLower(c.Number)+" ", station1)
		if err != nil {
			t.Fatal(err)
		}
		want := Status{Number: c.Number, ItemName: c.ItemName, ItemNameEn: "Old-age allowance application", State: StateForwarded, DueDate: "2026-11-27"}
		if st != want {
			t.Fatalf("status = %+v, want %+v", st, want)
		}
		st.Number = "" // its random check digits might hold any digits below
		raw, _ := json.Marshal(st)
		for _, secret := range []string{"陈阿婆", "1234", "5678", "东沙村", "内部备注", agent1.DisplayName, c.CallID} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("public status %s reveals %q", raw, secret)
			}
		}
		for _, bad := range []string{"", "YW20261120-9999", "YW2026-0001", "' OR 1=1 --"} {
			_, err := e.svc.ByNumber(ctx, bad, station1)
			wantErr(t, err, ErrNotFound)
		}
	})
}

func TestCaseNumbersCannotBeGuessedAtAStation(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		first := e.openCase(t, "call-1", itemForwarded)
		other, err := e.svc.OpenForCall(ctx, e.newCall(t, "call-2", station2, agent1, itemForwarded))
		if err != nil {
			t.Fatal(err)
		}
		serial, check, _ := strings.Cut(strings.TrimPrefix(other.Number, "YW20261120-"), "-")
		if serial != "0002" || len(check) != checkDigits || strings.Trim(check, "0123456789") != "" {
			t.Fatalf("second number %s, want YW20261120-0002 and %d check digits", other.Number, checkDigits)
		}
		wrongCheck := fmt.Sprintf("YW20261120-0002-%06d", (mustAtoi(t, check)+1)%1_000_000)
		// station1 holds its own receipt and guesses the next number.
		for _, guess := range []string{"YW20261120-0002", wrongCheck, strings.Replace(first.Number, "-0001-", "-0002-", 1)} {
			_, err := e.svc.ByNumber(ctx, guess, station1)
			wantErr(t, err, ErrNotFound)
		}
		// The resident of the other case brings the receipt to station1:
		// the whole number shows how it stands, but not what it is about.
		for _, typed := range []string{other.Number, strings.ReplaceAll(other.Number, "-", ""), "yw 20261120-0002" + check} {
			st, err := e.svc.ByNumber(ctx, typed, station1)
			if err != nil || st != (Status{Number: other.Number, State: StateOpen}) {
				t.Fatalf("status of %q at another station = %+v, %v; want state only", typed, st, err)
			}
		}
		for _, who := range []identity.Identity{station2, agent2, supervisor1} {
			st, err := e.svc.ByNumber(ctx, other.Number, who)
			if err != nil || st.ItemName != other.ItemName {
				t.Fatalf("status for %s = %+v, %v; want the item", who.Username, st, err)
			}
		}
		// A number handed out before check digits existed answers its own
		// station and staff only.
		if _, err := e.db.Exec(ctx, `UPDATE cases SET number = 'YW20261119-0001' WHERE id = ?`, first.ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			who  identity.Identity
			want error
		}{{station1, nil}, {supervisor1, nil}, {station2, ErrNotFound}} {
			if _, err := e.svc.ByNumber(ctx, "YW20261119-0001", tc.who); !errors.Is(err, tc.want) {
				t.Fatalf("old number looked up by %s: %v, want %v", tc.who.Username, err, tc.want)
			}
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSetResidentValidates(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		for _, tc := range []struct {
			name  string
			actor identity.Identity
			r     Resident
			want  error
		}{
			{"letters in the ID number", agent1, Resident{IDNumber: "31011019400101ABCD"}, ErrInvalid},
			{"letters in the phone", agent1, Resident{Phone: "call me"}, ErrInvalid},
			{"a name with a line break", agent1, Resident{Name: "陈\n阿婆"}, ErrInvalid},
			{"another agent", agent2, Resident{Name: "陈阿婆"}, ErrForbidden},
			{"a supervisor", supervisor1, Resident{Name: "陈阿婆"}, ErrForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.SetResident(ctx, c.ID, tc.actor, tc.r)
				wantErr(t, err, tc.want)
			})
		}
		got, err := e.svc.SetResident(ctx, c.ID, agent1, Resident{Name: " 陈阿婆 ", IDNumber: "31011019400101123x", Request: "第一行\r\n第二行"})
		if err != nil || got.Resident.Name != "陈阿婆" || got.Resident.IDNumber != "31011019400101123X" {
			t.Fatalf("set resident = %+v, %v", got.Resident, err)
		}
		events, _ := e.svc.Events(ctx, got)
		if last := events[len(events)-1]; last.Type != "resident_updated" || last.Detail != "" {
			t.Fatalf("event %+v, want resident_updated without personal detail", last)
		}
	})
}
