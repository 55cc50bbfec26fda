package cases

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"strings"
	"time"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

// Bounds on a signature image: a touchscreen pad is far smaller.
const (
	MaxSignatureBytes = 512 << 10
	maxSignatureSide  = 2048
)

// Signature is a resident's signature on a form: the image, the hash of
// the exact content signed, and when.
type Signature struct {
	ID            string    `json:"id"`
	FormID        string    `json:"form_id"`
	CaseID        string    `json:"case_id"`
	CallID        string    `json:"call_id"`
	CaseNumber    string    `json:"case_number"`
	StationID     string    `json:"station_id"`
	ContentSHA256 string    `json:"content_sha256"`
	PNGSHA256     string    `json:"png_sha256"`
	SignedAt      time.Time `json:"signed_at"`
	ImageURL      string    `json:"image_url"`
}

// Sign stores the resident's signature on a form. Only the station of the
// case's call may sign; contentSHA256 must be the hash of the form the
// station showed (ErrContentChanged otherwise: the resident signed
// something else), the PNG must decode and hold some ink, and a form is
// signed once (ErrConflict after that). The OnSignature hook is told.
func (s *Service) Sign(ctx context.Context, formID string, station identity.Identity, pngSignature []byte, contentSHA256 string) (Signature, error) {
	f, c, err := s.Form(ctx, formID)
	if err != nil {
		return Signature{}, err
	}
	if !c.AtStation(station) {
		return Signature{}, fmt.Errorf("sign form %s: not the case's station: %w", formID, ErrForbidden)
	}
	if !strings.EqualFold(strings.TrimSpace(contentSHA256), f.SHA256) {
		return Signature{}, fmt.Errorf("sign form %s: %w", formID, ErrContentChanged)
	}
	if f.SignatureID != "" {
		return Signature{}, fmt.Errorf("sign form %s: already signed: %w", formID, ErrConflict)
	}
	if err := checkSignaturePNG(pngSignature); err != nil {
		return Signature{}, fmt.Errorf("sign form %s: %w", formID, err)
	}
	sum := sha256.Sum256(pngSignature)
	sig := Signature{
		ID: uuid.NewString(), FormID: f.ID, CaseID: c.ID, CallID: c.CallID, CaseNumber: c.Number,
		StationID: station.AccountID, ContentSHA256: f.SHA256, PNGSHA256: hex.EncodeToString(sum[:]), SignedAt: s.now(),
	}
	sig.ImageURL = signatureImageURL(sig.ID)
	ev := s.newEvent(c, "signed", station, c.State, f.ID)
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertSignature(ctx, tx, sig, pngSignature); err != nil {
			return err
		}
		return insertEvent(ctx, tx, ev)
	})
	if err != nil {
		// The unique form_id refuses a concurrent second signature.
		if again, _, gerr := s.Form(ctx, formID); gerr == nil && again.SignatureID != "" {
			return Signature{}, fmt.Errorf("sign form %s: already signed: %w", formID, ErrConflict)
		}
		return Signature{}, err
	}
	s.emit(ev)
	if s.opts.OnSignature != nil {
		s.opts.OnSignature(sig)
	}
	return sig, nil
}

func insertSignature(ctx context.Context, q store.Querier, sig Signature, img []byte) error {
	_, err := q.Exec(ctx, `INSERT INTO case_signatures (id, form_id, case_id, station_id, png, png_sha256, content_sha256, signed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sig.ID, sig.FormID, sig.CaseID, sig.StationID, img, sig.PNGSHA256,
		sig.ContentSHA256, store.Millis(sig.SignedAt))
	if err != nil {
		return fmt.Errorf("store signature on form %s: %w", sig.FormID, err)
	}
	return nil
}

func signatureImageURL(id string) string { return "/api/v1/signatures/" + id + "/image" }

// checkSignaturePNG refuses anything but a sane PNG with something drawn
// on it: a blank pad means the resident did not sign.
func checkSignaturePNG(b []byte) error {
	if len(b) == 0 || len(b) > MaxSignatureBytes {
		return fmt.Errorf("signature must be a PNG of 1 to %d bytes: %w", MaxSignatureBytes, ErrInvalid)
	}
	// Check the declared size before decoding, so a tiny file claiming a
	// huge image cannot make us allocate it.
	cfg, err := png.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("signature is not a PNG: %w", ErrInvalid)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxSignatureSide || cfg.Height > maxSignatureSide {
		return fmt.Errorf("signature must be at most %d×%d pixels: %w", maxSignatureSide, maxSignatureSide, ErrInvalid)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("signature PNG is damaged: %w", ErrInvalid)
	}
	if !hasInk(img) {
		return fmt.Errorf("signature is blank: %w", ErrInvalid)
	}
	return nil
}

// hasInk reports whether any pixel is visibly dark: pads draw dark strokes
// on a transparent or white background.
func hasInk(img image.Image) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if a > 0x8000 && (r+g+bl)/3 < 0xA000 {
				return true
			}
		}
	}
	return false
}

const signatureColumns = `id, form_id, case_id, station_id, png_sha256, content_sha256, signed_at`

func scanSignature(row scanner, c Case) (Signature, error) {
	var sig Signature
	var signed int64
	if err := row.Scan(&sig.ID, &sig.FormID, &sig.CaseID, &sig.StationID, &sig.PNGSHA256, &sig.ContentSHA256, &signed); err != nil {
		return Signature{}, err
	}
	sig.CallID, sig.CaseNumber, sig.SignedAt, sig.ImageURL = c.CallID, c.Number, store.Time(signed), signatureImageURL(sig.ID)
	return sig, nil
}

func (s *Service) signaturesOf(ctx context.Context, c Case) ([]Signature, error) {
	rows, err := s.db.Query(ctx, `SELECT `+signatureColumns+` FROM case_signatures WHERE case_id = ? ORDER BY signed_at, id`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list signatures of case %s: %w", c.Number, err)
	}
	defer rows.Close()
	out := []Signature{}
	for rows.Next() {
		sig, err := scanSignature(rows, c)
		if err != nil {
			return nil, fmt.Errorf("scan signature of case %s: %w", c.Number, err)
		}
		out = append(out, sig)
	}
	return out, rows.Err()
}

// SignatureImage returns a signature, its PNG and its case; the caller
// decides who may see it.
func (s *Service) SignatureImage(ctx context.Context, id string) (Signature, []byte, Case, error) {
	var caseID string
	var img []byte
	err := s.db.QueryRow(ctx, `SELECT case_id, png FROM case_signatures WHERE id = ?`, id).Scan(&caseID, &img)
	if errors.Is(err, sql.ErrNoRows) {
		return Signature{}, nil, Case{}, fmt.Errorf("signature %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Signature{}, nil, Case{}, fmt.Errorf("load signature %s: %w", id, err)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Signature{}, nil, Case{}, err
	}
	sig, err := scanSignature(s.db.QueryRow(ctx, `SELECT `+signatureColumns+` FROM case_signatures WHERE id = ?`, id), c)
	if err != nil {
		return Signature{}, nil, Case{}, fmt.Errorf("load signature %s: %w", id, err)
	}
	return sig, img, c, nil
}
