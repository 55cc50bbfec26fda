package appointments

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"

	"cloudwindow/cases"
)

// The slip shares the receipt's style block, whose hash the page's
// Content-Security-Policy already allows (see cases.InlineStyleHashes).
//
//go:embed slip.html
var slipTemplateText string

var slipTemplate = template.Must(template.New("slip").Parse(slipTemplateText))

// Slip is the printable page of a booking: its code as text and as a QR
// code, with nothing more personal than the masked name and phone.
func Slip(b Booking) (string, error) {
	svg, err := cases.QRSVG(b.Code)
	if err != nil {
		return "", fmt.Errorf("QR code of booking %s: %w", b.Code, err)
	}
	var page bytes.Buffer
	err = slipTemplate.Execute(&page, struct {
		Booking
		QRCode template.HTML
	}{b, template.HTML(svg)}) // the SVG is built from module coordinates only
	if err != nil {
		return "", fmt.Errorf("render slip of booking %s: %w", b.Code, err)
	}
	return page.String(), nil
}
