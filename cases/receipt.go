package cases

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
	"time"

	"rsc.io/qr"
)

//go:embed receipt.html
var receiptTemplateText string

var receiptTemplate = template.Must(template.New("receipt").Parse(receiptTemplateText))

// Receipt is the slip (回执) the station prints for the resident. It holds
// nothing personal, so the station may have it. The QR code holds the case
// number, which the station's status lookup accepts.
type Receipt struct {
	Number      string    `json:"number"`
	ItemName    string    `json:"item_name"`
	ItemNameEn  string    `json:"item_name_en"`
	StationName string    `json:"station_name"`
	State       State     `json:"state"`
	OnTheSpot   bool      `json:"on_the_spot"`
	DueDate     string    `json:"due_date,omitempty"`
	IssuedAt    time.Time `json:"issued_at"`
	IssuedDate  string    `json:"issued_date"`
	QRText      string    `json:"qr_text"`
	QRSVG       string    `json:"qr_svg"`
	HTML        string    `json:"html"` // a complete printable page
}

// Receipt builds the receipt of a case as it stands.
func (s *Service) Receipt(ctx context.Context, caseID string) (Receipt, error) {
	c, err := s.Get(ctx, caseID)
	if err != nil {
		return Receipt{}, err
	}
	it, err := s.cat.Item(ctx, c.ItemID)
	if err != nil {
		return Receipt{}, fmt.Errorf("item %s of case %s: %w", c.ItemID, c.Number, err)
	}
	svg, err := qrSVG(c.Number)
	if err != nil {
		return Receipt{}, fmt.Errorf("QR code of case %s: %w", c.Number, err)
	}
	r := Receipt{
		Number: c.Number, ItemName: it.NameZh, ItemNameEn: it.NameEn, StationName: c.StationName, State: c.State,
		DueDate: c.DueDate, IssuedAt: s.now(), IssuedDate: s.today().Format(DateLayout), QRText: c.Number, QRSVG: svg,
	}
	switch {
	case c.State == StateDone:
		r.OnTheSpot = c.DueDate == ""
	case c.State == StateOpen && it.TimeLimitDays == 0:
		r.OnTheSpot = true
	case c.State == StateOpen:
		r.DueDate = s.opts.Calendar.AddWorkingDays(s.today(), it.TimeLimitDays).Format(DateLayout)
	}
	var page bytes.Buffer
	err = receiptTemplate.Execute(&page, struct {
		Receipt
		QRCode template.HTML
	}{r, template.HTML(svg)}) // the SVG is built here from module coordinates only
	if err != nil {
		return Receipt{}, fmt.Errorf("render receipt of case %s: %w", c.Number, err)
	}
	r.HTML = page.String()
	return r, nil
}

// qrSVG draws text as a QR code in SVG, one unit per module, with the
// four-module quiet zone scanners need.
func qrSVG(text string) (string, error) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", err
	}
	const quiet = 4
	side := code.Size + 2*quiet
	var path strings.Builder
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`+
		`<rect width="%d" height="%d" fill="#fff"/><path d="%s" fill="#000"/></svg>`,
		side, side, side, side, path.String()), nil
}
