package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"cloudwindow/identity"
)

func TestAttachMaterialTicksTheItemList(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		for _, tc := range []struct {
			name, doc, material string
			actor               identity.Identity
			want                error
		}{
			{"a material the item does not list", "doc-1", "结婚证", agent1, ErrInvalid},
			{"no document", "", "户口簿", agent1, ErrInvalid},
			{"another agent", "doc-1", "户口簿", agent2, ErrForbidden},
			{"a supervisor", "doc-1", "户口簿", supervisor1, ErrForbidden},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.AttachMaterial(ctx, c.ID, tc.doc, tc.material, tc.actor)
				wantErr(t, err, tc.want)
			})
		}
		if _, err := e.svc.AttachMaterial(ctx, c.ID, "doc-1", "户口簿", agent1); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AttachMaterial(ctx, c.ID, "doc-1", "household REGISTER", agent1); err != nil {
			t.Fatal(err) // the same document under the same material, named in English
		}
		list, err := e.svc.AttachMaterial(ctx, c.ID, "doc-2", "居民身份证", agent1)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range list {
			got = append(got, m.NameZh+"="+strings.Join(m.DocumentIDs, "+"))
		}
		want := []string{"居民身份证=doc-2", "户口簿=doc-1", "银行卡="}
		if !slices.Equal(got, want) {
			t.Fatalf("materials = %q, want %q", got, want)
		}
		if !list[0].Received || !list[1].Received || list[2].Received || !list[0].Required || list[2].Required {
			t.Fatalf("ticks and required flags wrong: %+v", list)
		}
		if n := strings.Count(strings.Join(e.hooks.eventTypes(c.ID), " "), "material_attached"); n != 2 {
			t.Fatalf("%d material_attached events, want 2 (re-attaching changes nothing)", n)
		}
	})
}

func TestFormIsTheCaseAsItStands(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		if _, err := e.svc.SetResident(ctx, c.ID, agent1, Resident{Name: "陈阿婆", IDNumber: "31011019400101123X", Phone: "13812345678", Request: "<script>alert(1)</script>"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AttachMaterial(ctx, c.ID, "doc-1", "居民身份证", agent1); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.CreateForm(ctx, c.ID, agent2)
		wantErr(t, err, ErrForbidden)

		f, err := e.svc.CreateForm(ctx, c.ID, agent1)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(f.HTML))
		if f.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("form sha256 %s is not the hash of its HTML", f.SHA256)
		}
		for _, want := range []string{c.Number, "高龄老人津贴申请", "陈阿婆", "3101**********123X", "138****5678",
			"2026-11-27", "☑</span>居民身份证", "☐</span>户口簿", "&lt;script&gt;"} {
			if !strings.Contains(f.HTML, want) {
				t.Errorf("form HTML lacks %q", want)
			}
		}
		for _, secret := range []string{"31011019400101123X", "13812345678", "<script>"} {
			if strings.Contains(f.HTML, secret) {
				t.Errorf("form HTML shows %q", secret)
			}
		}
		if f.Content.DueDate != "2026-11-27" || f.Content.OnTheSpot || len(f.Content.Materials) != 3 {
			t.Fatalf("form content = %+v", f.Content)
		}
		if len(e.hooks.forms) != 1 || e.hooks.forms[0].ID != f.ID || e.hooks.forms[0].CallID != c.CallID {
			t.Fatalf("OnForm got %+v", e.hooks.forms)
		}

		spot := e.openCase(t, "call-2", itemOnTheSpot)
		sf, err := e.svc.CreateForm(ctx, spot.ID, agent1)
		if err != nil {
			t.Fatal(err)
		}
		if !sf.Content.OnTheSpot || !strings.Contains(sf.HTML, "当场办结") {
			t.Fatalf("an on-the-spot item's form must say 当场办结: %+v", sf.Content)
		}
	})
}

func TestSignForm(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		f, err := e.svc.CreateForm(ctx, c.ID, agent1)
		if err != nil {
			t.Fatal(err)
		}
		good := signaturePNG(t, 600, 200, true)
		other := sha256.Sum256([]byte(f.HTML + " "))
		for _, tc := range []struct {
			name    string
			station identity.Identity
			png     []byte
			hash    string
			want    error
		}{
			{"another station", station2, good, f.SHA256, ErrForbidden},
			{"the agent", agent1, good, f.SHA256, ErrForbidden},
			{"a different content", station1, good, hex.EncodeToString(other[:]), ErrContentChanged},
			{"no hash", station1, good, "", ErrContentChanged},
			{"a blank pad", station1, signaturePNG(t, 600, 200, false), f.SHA256, ErrInvalid},
			{"not a PNG", station1, []byte("GIF89a not a png at all"), f.SHA256, ErrInvalid},
			{"a truncated PNG", station1, good[:len(good)/2], f.SHA256, ErrInvalid},
			{"too many pixels", station1, signaturePNG(t, maxSignatureSide+1, 10, true), f.SHA256, ErrInvalid},
			{"too many bytes", station1, append(append([]byte{}, good...), make([]byte, MaxSignatureBytes)...), f.SHA256, ErrInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.svc.Sign(ctx, f.ID, tc.station, tc.png, tc.hash)
				wantErr(t, err, tc.want)
			})
		}
		if len(e.hooks.signatures) != 0 {
			t.Fatal("a refused signature reached the agent")
		}

		sig, err := e.svc.Sign(ctx, f.ID, station1, good, strings.ToUpper(f.SHA256))
		if err != nil {
			t.Fatal(err)
		}
		if sig.ContentSHA256 != f.SHA256 || sig.CaseID != c.ID || sig.CallID != c.CallID || !sig.SignedAt.Equal(friday) {
			t.Fatalf("signature = %+v", sig)
		}
		if len(e.hooks.signatures) != 1 || e.hooks.signatures[0].ID != sig.ID {
			t.Fatalf("OnSignature got %+v", e.hooks.signatures)
		}
		_, err = e.svc.Sign(ctx, f.ID, station1, good, f.SHA256)
		wantErr(t, err, ErrConflict)

		_, img, _, err := e.svc.SignatureImage(ctx, sig.ID)
		if err != nil || string(img) != string(good) {
			t.Fatalf("stored signature image differs (err %v)", err)
		}
		d, err := e.svc.Detail(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Forms) != 1 || d.Forms[0].SignatureID != sig.ID || len(d.Signatures) != 1 || d.Signatures[0].ImageURL != sig.ImageURL {
			t.Fatalf("case page forms %+v signatures %+v", d.Forms, d.Signatures)
		}
		types := e.hooks.eventTypes(c.ID)
		if !slices.Equal(types, []string{"opened", "form_created", "signed"}) {
			t.Fatalf("events = %q", types)
		}
	})
}

func TestReceipt(t *testing.T) {
	forEachDB(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		c := e.openCase(t, "call-1", itemForwarded)
		if _, err := e.svc.SetResident(ctx, c.ID, agent1, Resident{Name: "陈阿婆", IDNumber: "31011019400101123X"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.WrapUp(ctx, c.CallID, agent1, "forwarded", nil, ""); err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.Receipt(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Number != c.Number || r.DueDate != "2026-11-27" || r.QRText != c.Number || r.OnTheSpot {
			t.Fatalf("receipt = %+v", r)
		}
		if !strings.HasPrefix(r.QRSVG, "<svg") || !strings.Contains(r.HTML, r.QRSVG) || !strings.Contains(r.HTML, c.Number) {
			t.Fatal("receipt page lacks the QR code or the number")
		}
		for _, secret := range []string{"陈阿婆", "1234"} {
			if strings.Contains(r.HTML, secret) {
				t.Fatalf("receipt shows %q", secret)
			}
		}
	})
}

func TestQRCodeHasFinderPatterns(t *testing.T) {
	svg, err := qrSVG("YW20261120-0001")
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 is 21 modules plus a quiet zone of 4 on each side; every
	// QR code has a 7×7 finder pattern in three corners, drawn from (4,4).
	if !strings.Contains(svg, `viewBox="0 0 29 29"`) && !strings.Contains(svg, `viewBox="0 0 33 33"`) {
		t.Fatalf("unexpected QR size: %.80s", svg)
	}
	for _, corner := range []string{"M4 4h1v1h-1z", "M10 4h1v1h-1z", "M4 10h1v1h-1z", "M6 6h1v1h-1z"} {
		if !strings.Contains(svg, corner) {
			t.Errorf("finder pattern module %s missing", corner)
		}
	}
}
