package appointments

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloudwindow/cases"
)

func TestSlots(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 2})
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:30", End: "10:30", Capacity: 1})
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 2, Start: "09:00", End: "09:30", Capacity: 1})
		tests := []struct {
			name string
			day  int
			want string
		}{
			{"Monday: overlapping blocks add up", 0, "09:00/2 09:30/3 10:00/1"},
			{"Tuesday is a holiday", 1, ""},
			{"Wednesday has no schedule", 2, ""},
			{"Saturday worked instead follows Monday", 5, "09:00/2 09:30/3 10:00/1"},
			{"Sunday is off", 6, ""},
		}
		for _, tc := range tests {
			slots, err := e.svc.Slots(ctx, "elderly", at(tc.day, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range slots {
				got = append(got, s.Time+"/"+itoa(s.Capacity))
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("%s: slots %q, want %q", tc.name, strings.Join(got, " "), tc.want)
			}
		}
		other, _ := e.svc.Slots(ctx, "housing", at(0, 0, 0))
		if len(other) != 0 {
			t.Errorf("housing has slots %v from elderly schedules", other)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestScheduleChecks(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		bad := []Schedule{
			{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 0, Start: "09:00", End: "10:00", Capacity: 1},
			{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "09:45", Capacity: 1},
			{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "10:00", End: "09:00", Capacity: 1},
			{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 0},
			{AgentID: agent2.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 1}, // not their skill
			{AgentID: station1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 1},
		}
		for _, sc := range bad {
			_, err := e.svc.AddSchedule(context.Background(), supervisor1, sc)
			wantErr(t, err, ErrInvalid)
		}
		if list, _ := e.svc.Schedules(context.Background()); len(list) != 0 {
			t.Fatalf("refused schedules were kept: %v", list)
		}
	})
}

func TestCapacity(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "09:30", Capacity: 2})
		first := e.book(t, station1, at(0, 9, 0))
		e.book(t, station2, at(0, 9, 0))
		_, err := e.svc.Book(ctx, station1, NewBooking{ItemID: itemElderly, At: at(0, 9, 0), Name: "李四", PhoneLast4: "5678"})
		wantErr(t, err, ErrFull)
		slots, _ := e.svc.Slots(ctx, "elderly", at(0, 0, 0))
		if slots[0].Free != 0 || slots[0].Booked != 2 {
			t.Fatalf("full slot shows %+v", slots[0])
		}
		if _, err := e.svc.Cancel(ctx, station2, first.Code, "1234"); err != nil {
			t.Fatalf("cancel: %v", err)
		}
		e.book(t, station1, at(0, 9, 0)) // the cancelled place is free again
		for _, when := range []time.Time{at(0, 9, 30), at(0, 7, 0), at(1, 9, 0), at(14, 9, 0)} {
			_, err := e.svc.Book(ctx, station1, NewBooking{ItemID: itemElderly, At: when, Name: "李四", PhoneLast4: "5678"})
			wantErr(t, err, ErrInvalid)
		}
	})
}

func TestBookingIsMasked(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "09:30", Capacity: 2})
		b := e.book(t, station1, at(0, 9, 0))
		if b.Name != "王**" || b.Phone != "*******1234" || len(b.Code) != CodeLength {
			t.Fatalf("booking shows name %q phone %q code %q", b.Name, b.Phone, b.Code)
		}
		slip, err := Slip(b)
		if err != nil || !strings.Contains(slip, b.Code) || strings.Contains(slip, "王小明") || !strings.Contains(slip, "<svg") {
			t.Fatalf("slip (err %v) lacks the code or QR, or shows the full name:\n%s", err, slip)
		}
		for _, bad := range []NewBooking{
			{ItemID: itemElderly, At: at(0, 9, 0), Name: "", PhoneLast4: "1234"},
			{ItemID: itemElderly, At: at(0, 9, 0), Name: "王", PhoneLast4: "12a4"},
			{ItemID: itemElderly, At: at(0, 9, 0), Name: "王", PhoneLast4: "13912341234"},
			{ItemID: "nope", At: at(0, 9, 0), Name: "王", PhoneLast4: "1234"},
		} {
			_, err := e.svc.Book(context.Background(), station1, bad)
			wantErr(t, err, ErrInvalid)
		}
	})
}

func TestNoShow(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 2})
		missed := e.book(t, station1, at(0, 9, 0))
		kept := e.book(t, station1, at(0, 9, 30))
		e.clock.Set(at(0, 9, 9))
		if n, _ := e.svc.Lapse(ctx); n != 0 {
			t.Fatalf("%d bookings lapsed 9 minutes after their slot", n)
		}
		if due, _ := e.svc.Due(ctx, station1.AccountID); len(due) != 1 || due[0].Code != missed.Code {
			t.Fatalf("due at 09:09: %v, want %s", due, missed.Code)
		}
		e.clock.Set(at(0, 9, 10))
		if n, _ := e.svc.Lapse(ctx); n != 1 {
			t.Fatalf("%d bookings lapsed 10 minutes after the slot, want 1", n)
		}
		b, _ := e.svc.ByCode(ctx, station1, missed.Code, "1234")
		if b.State != StateNoShow {
			t.Fatalf("missed booking is %s", b.State)
		}
		_, err := e.svc.Arrive(ctx, missed.ID, station1.AccountID, itemElderly, "r1")
		wantErr(t, err, ErrConflict)
		_, err = e.svc.Cancel(ctx, station1, missed.Code, "1234")
		wantErr(t, err, ErrConflict)
		day, _ := e.svc.Day(ctx, at(0, 0, 0))
		if len(day.ByStation) != 1 || day.ByStation[0].NoShows != 1 || day.ByStation[0].Booked != 2 {
			t.Fatalf("day view per station: %+v", day.ByStation)
		}
		_ = kept
	})
}

func TestArrive(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 2})
		b := e.book(t, station1, at(0, 9, 30))
		e.clock.Set(at(0, 9, 0))
		_, err := e.svc.Arrive(ctx, b.ID, station1.AccountID, itemElderly, "r1")
		wantErr(t, err, ErrConflict) // 30 minutes early
		e.clock.Set(at(0, 9, 25))
		_, err = e.svc.Arrive(ctx, b.ID, station2.AccountID, itemElderly, "r1")
		wantErr(t, err, ErrForbidden)
		_, err = e.svc.Arrive(ctx, "no-such-id", station1.AccountID, itemElderly, "r1")
		wantErr(t, err, ErrNotFound)
		slot, err := e.svc.Arrive(ctx, b.ID, station1.AccountID, itemElderly, "r1")
		if err != nil || !slot.Equal(at(0, 9, 30)) {
			t.Fatalf("arrive = %v, %v; want the slot time", slot, err)
		}
		e.clock.Set(at(0, 9, 45))
		if n, _ := e.svc.Lapse(ctx); n != 0 {
			t.Fatalf("an arrived booking lapsed")
		}
	})
}

func TestCancelAndRescheduleByCode(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 1})
		b := e.book(t, station1, at(0, 9, 0))
		_, err := e.svc.Reschedule(ctx, station2, b.Code, "9999", at(0, 9, 30))
		wantErr(t, err, ErrNotFound) // wrong phone digits
		moved, err := e.svc.Reschedule(ctx, station2, strings.ToLower(b.Code), "1234", at(0, 9, 30))
		if err != nil {
			t.Fatalf("reschedule: %v", err)
		}
		if moved.Code != b.Code || moved.Time != "09:30" || moved.StationID != station2.AccountID {
			t.Fatalf("moved booking %+v", moved)
		}
		e.book(t, station1, at(0, 9, 0)) // the old slot is free again
		_, err = e.svc.Reschedule(ctx, station2, b.Code, "1234", at(0, 9, 0))
		wantErr(t, err, ErrFull)
		if _, err := e.svc.Cancel(ctx, supervisor1, b.Code, ""); err != nil {
			t.Fatalf("supervisor cancels: %v", err)
		}
		_, err = e.svc.Cancel(ctx, station1, b.Code, "1234")
		wantErr(t, err, ErrConflict)
	})
}

func TestAgentBooksFollowUp(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 1})
		e.cases["c1"] = cases.Case{ID: "c1", Number: "N1", StationID: station2.AccountID, AgentID: agent1.AccountID, ItemID: itemElderly,
			State: cases.StateNeedsMaterials, Resident: cases.Resident{Name: "赵六", Phone: "139-1234-5678"}}
		e.cases["c2"] = cases.Case{ID: "c2", Number: "N2", StationID: station2.AccountID, AgentID: agent1.AccountID, ItemID: itemElderly, State: cases.StateDone}
		_, err := e.svc.Book(ctx, agent2, NewBooking{CaseID: "c1", At: at(0, 9, 0)})
		wantErr(t, err, ErrForbidden)
		_, err = e.svc.Book(ctx, agent1, NewBooking{CaseID: "c2", At: at(0, 9, 0)})
		wantErr(t, err, ErrConflict)
		_, err = e.svc.Book(ctx, agent1, NewBooking{At: at(0, 9, 0), ItemID: itemElderly, Name: "x", PhoneLast4: "1234"})
		wantErr(t, err, ErrInvalid)
		_, err = e.svc.Book(ctx, supervisor1, NewBooking{At: at(0, 9, 0), ItemID: itemElderly, Name: "x", PhoneLast4: "1234"})
		wantErr(t, err, ErrForbidden)
		b, err := e.svc.Book(ctx, agent1, NewBooking{CaseID: "c1", At: at(0, 9, 0)})
		if err != nil {
			t.Fatalf("agent books follow-up: %v", err)
		}
		if b.StationID != station2.AccountID || b.Name != "赵*" || b.Phone != "*******5678" || b.CaseID != "c1" {
			t.Fatalf("follow-up booking %+v", b)
		}
	})
}

func TestOpeningHoursComeFromSchedules(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		if open, inUse, err := e.svc.Open(ctx); err != nil || !open || inUse {
			t.Fatalf("without schedules: open %v, in use %v, %v; want open and not taking bookings", open, inUse, err)
		}
		e.schedule(t, Schedule{AgentID: agent1.AccountID, SkillGroup: "elderly", Weekday: 1, Start: "09:00", End: "10:00", Capacity: 1})
		for _, tc := range []struct {
			now  time.Time
			open bool
		}{{at(0, 8, 59), false}, {at(0, 9, 0), true}, {at(0, 9, 59), true}, {at(0, 10, 0), false}, {at(1, 9, 30), false}} {
			e.clock.Set(tc.now)
			if open, inUse, _ := e.svc.Open(ctx); open != tc.open || !inUse {
				t.Errorf("at %s: open %v (in use %v), want %v", tc.now.Format("Mon 15:04"), open, inUse, tc.open)
			}
		}
	})
}
