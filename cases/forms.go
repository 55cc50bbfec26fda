package cases

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"time"

	"github.com/google/uuid"

	"cloudwindow/identity"
	"cloudwindow/store"
)

//go:embed form.html
var formTemplateText string

var formTemplate = template.Must(template.New("form").Parse(formTemplateText))

// Form is a confirmation sheet (办件确认单) pushed to the station. HTML is
// a complete printable page; SHA256 is the hex SHA-256 of its UTF-8 bytes,
// which the station hashes again and sends back with the signature.
type Form struct {
	ID          string      `json:"id"`
	CaseID      string      `json:"case_id"`
	CallID      string      `json:"call_id"`
	CaseNumber  string      `json:"case_number"`
	HTML        string      `json:"html"`
	Content     FormContent `json:"content"`
	SHA256      string      `json:"sha256"`
	CreatedBy   string      `json:"created_by"`
	CreatedAt   time.Time   `json:"created_at"`
	SignatureID string      `json:"signature_id,omitempty"`
}

// FormContent is what the sheet says, for screens that lay it out
// themselves. The resident's numbers are masked: the sheet is shown on a
// kiosk screen and printed.
type FormContent struct {
	Title       string         `json:"title"`
	TitleEn     string         `json:"title_en"`
	CaseNumber  string         `json:"case_number"`
	ItemName    string         `json:"item_name"`
	ItemNameEn  string         `json:"item_name_en"`
	StationName string         `json:"station_name"`
	AgentName   string         `json:"agent_name"`
	Resident    Resident       `json:"resident"`
	Materials   []FormMaterial `json:"materials"`
	OnTheSpot   bool           `json:"on_the_spot"`
	DueDate     string         `json:"due_date,omitempty"`
	Date        string         `json:"date"`
}

// FormMaterial is one line of the sheet's materials list.
type FormMaterial struct {
	NameZh   string `json:"name_zh"`
	NameEn   string `json:"name_en"`
	Required bool   `json:"required"`
	Received bool   `json:"received"`
}

// CreateForm generates the confirmation sheet of the case as it stands and
// tells the OnForm hook, so signaling can show it on the station.
func (s *Service) CreateForm(ctx context.Context, caseID string, actor identity.Identity) (Form, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Form{}, err
	}
	if !c.HandledBy(actor) {
		return Form{}, fmt.Errorf("form for case %s: %w", c.Number, ErrForbidden)
	}
	content, err := s.formContent(ctx, c)
	if err != nil {
		return Form{}, err
	}
	var page bytes.Buffer
	if err := formTemplate.Execute(&page, content); err != nil {
		return Form{}, fmt.Errorf("render form for case %s: %w", c.Number, err)
	}
	sum := sha256.Sum256(page.Bytes())
	f := Form{
		ID: uuid.NewString(), CaseID: c.ID, CallID: c.CallID, CaseNumber: c.Number, HTML: page.String(),
		Content: content, SHA256: hex.EncodeToString(sum[:]), CreatedBy: actorName(actor), CreatedAt: s.now(),
	}
	ev := s.newEvent(c, "form_created", actor, c.State, f.ID)
	if err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := insertForm(ctx, tx, f); err != nil {
			return err
		}
		return insertEvent(ctx, tx, ev)
	}); err != nil {
		return Form{}, err
	}
	s.emit(ev)
	if s.opts.OnForm != nil {
		s.opts.OnForm(f)
	}
	return f, nil
}

// formContent gathers what the sheet shows. The due date is the case's,
// or, before wrap-up, the one the item's time limit promises from today.
func (s *Service) formContent(ctx context.Context, c Case) (FormContent, error) {
	it, err := s.cat.Item(ctx, c.ItemID)
	if err != nil {
		return FormContent{}, fmt.Errorf("item %s of case %s: %w", c.ItemID, c.Number, err)
	}
	materials, err := s.Materials(ctx, c)
	if err != nil {
		return FormContent{}, err
	}
	fc := FormContent{
		Title: "办件确认单", TitleEn: "Case confirmation", CaseNumber: c.Number, ItemName: it.NameZh, ItemNameEn: it.NameEn,
		StationName: c.StationName, AgentName: c.AgentName, Resident: c.Resident.Masked(),
		Materials: make([]FormMaterial, len(materials)), DueDate: c.DueDate, Date: s.today().Format(DateLayout),
	}
	for i, m := range materials {
		fc.Materials[i] = FormMaterial{NameZh: m.NameZh, NameEn: m.NameEn, Required: m.Required, Received: m.Received}
	}
	if fc.DueDate == "" && it.TimeLimitDays > 0 {
		fc.DueDate = s.opts.Calendar.AddWorkingDays(s.today(), it.TimeLimitDays).Format(DateLayout)
	}
	fc.OnTheSpot = fc.DueDate == ""
	return fc, nil
}

func insertForm(ctx context.Context, q store.Querier, f Form) error {
	content, err := json.Marshal(f.Content)
	if err != nil {
		return fmt.Errorf("encode form %s: %w", f.ID, err)
	}
	_, err = q.Exec(ctx, `INSERT INTO case_forms (id, case_id, html, content, sha256, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, f.ID, f.CaseID, f.HTML, string(content), f.SHA256, f.CreatedBy, store.Millis(f.CreatedAt))
	if err != nil {
		return fmt.Errorf("insert form %s of case %s: %w", f.ID, f.CaseNumber, err)
	}
	return nil
}

const formColumns = `f.id, f.html, f.content, f.sha256, f.created_by, f.created_at, COALESCE(s.id, '')`

func scanForm(row scanner, c Case) (Form, error) {
	f := Form{CaseID: c.ID, CallID: c.CallID, CaseNumber: c.Number}
	var content string
	var created int64
	if err := row.Scan(&f.ID, &f.HTML, &content, &f.SHA256, &f.CreatedBy, &created, &f.SignatureID); err != nil {
		return Form{}, err
	}
	if err := json.Unmarshal([]byte(content), &f.Content); err != nil {
		return Form{}, fmt.Errorf("decode form %s: %w", f.ID, err)
	}
	f.CreatedAt = store.Time(created)
	return f, nil
}

// Form returns a form and its case; the caller decides who may see it.
func (s *Service) Form(ctx context.Context, formID string) (Form, Case, error) {
	var caseID string
	err := s.db.QueryRow(ctx, `SELECT case_id FROM case_forms WHERE id = ?`, formID).Scan(&caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return Form{}, Case{}, fmt.Errorf("form %s: %w", formID, ErrNotFound)
	}
	if err != nil {
		return Form{}, Case{}, fmt.Errorf("load form %s: %w", formID, err)
	}
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Form{}, Case{}, err
	}
	f, err := scanForm(s.db.QueryRow(ctx, `SELECT `+formColumns+` FROM case_forms f
		LEFT JOIN case_signatures s ON s.form_id = f.id WHERE f.id = ?`, formID), c)
	if err != nil {
		return Form{}, Case{}, fmt.Errorf("load form %s: %w", formID, err)
	}
	return f, c, nil
}

func (s *Service) formsOf(ctx context.Context, c Case) ([]Form, error) {
	rows, err := s.db.Query(ctx, `SELECT `+formColumns+` FROM case_forms f
		LEFT JOIN case_signatures s ON s.form_id = f.id WHERE f.case_id = ? ORDER BY f.created_at, f.id`, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list forms of case %s: %w", c.Number, err)
	}
	defer rows.Close()
	out := []Form{}
	for rows.Next() {
		f, err := scanForm(rows, c)
		if err != nil {
			return nil, fmt.Errorf("scan form of case %s: %w", c.Number, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
