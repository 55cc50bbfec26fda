package signaling

import (
	"testing"
	"time"
)

// TestGuestBookClaimsEachInvitationOnceWithinItsTime: a link works once,
// before it expires, and not once its call has ended.
func TestGuestBookClaimsEachInvitationOnceWithinItsTime(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	var b guestBook
	inv, secret, err := b.create("call-1", guestFamily, "女儿", now.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	_, late, _ := b.create("call-1", guestInterpreter, "翻译", now.Add(15*time.Minute))
	_, ended, _ := b.create("call-2", guestFamily, "家属", now.Add(15*time.Minute))
	b.endCall("call-2")
	for _, tc := range []struct {
		name, secret string
		at           time.Time
		ok           bool
	}{
		{"first use", secret, now.Add(time.Minute), true},
		{"second use", secret, now.Add(2 * time.Minute), false},
		{"unknown", "not-a-secret", now, false},
		{"expired", late, now.Add(15 * time.Minute), false},
		{"call ended", ended, now, false},
	} {
		got, err := b.claim(tc.secret, tc.at)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err %v, want ok=%v", tc.name, err, tc.ok)
		}
		if tc.ok && (got.id != inv.id || got.state != guestWaiting || got.label != "guest1") {
			t.Errorf("%s: claimed %+v", tc.name, got)
		}
	}
}

// TestGuestBookMovesOnlyFromTheGivenStatesInItsOwnCall: consent, removal
// and leaving apply to the invitation's own call and state only.
func TestGuestBookMovesOnlyFromTheGivenStatesInItsOwnCall(t *testing.T) {
	var b guestBook
	inv, secret, _ := b.create("call-1", guestInterpreter, "手语翻译", time.Now().Add(time.Minute))
	if inv.label != "interpreter1" || inv.role() != roleInterpreter {
		t.Errorf("an interpreter is %s in role %s", inv.label, inv.role())
	}
	if _, err := b.move(inv.id, "call-1", guestAdmitted, guestWaiting); err == nil {
		t.Error("admitted before the link was used")
	}
	if _, err := b.claim(secret, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.move(inv.id, "call-2", guestAdmitted, guestWaiting); err == nil {
		t.Error("admitted from another call")
	}
	if got, err := b.move(inv.id, "call-1", guestAdmitted, guestWaiting); err != nil || got.state != guestAdmitted {
		t.Errorf("consent: %+v %v", got, err)
	}
	if left := b.endCall("call-1"); len(left) != 1 || left[0].state != guestEnded {
		t.Errorf("the call's end leaves %+v", left)
	}
}

func TestGuestInviteDataIsChecked(t *testing.T) {
	for _, tc := range []struct {
		d  guestInviteData
		ok bool
	}{
		{guestInviteData{CallID: "c", Kind: "family", Name: " 女儿 "}, true},
		{guestInviteData{CallID: "c", Kind: "interpreter"}, true},
		{guestInviteData{CallID: "c", Kind: "friend"}, false},
		{guestInviteData{Kind: "family"}, false},
		{guestInviteData{CallID: "c", Kind: "family", Name: "<b>x</b>"}, false},
		{guestInviteData{CallID: "c", Kind: "family", Name: "一二三四五六七八九十一二三四五六七八九十一"}, false},
	} {
		if err := tc.d.check(); (err == nil) != tc.ok {
			t.Errorf("%+v: %v, want ok=%v", tc.d, err, tc.ok)
		}
	}
}
