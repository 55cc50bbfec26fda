package documents

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"testing"
)

// pdfWith is a small PDF whose catalog carries extra entries, with more
// objects after it.
func pdfWith(catalog, objects string) []byte {
	return []byte("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R " + catalog + " >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n" + objects +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

// pdfObjectStream hides objects in a compressed object stream, where they
// appear only once inflated.
func pdfObjectStream(objects string) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write([]byte(objects))
	w.Close()
	return pdfWith("/OpenAction 3 0 R", fmt.Sprintf("4 0 obj << /Type /ObjStm /N 1 /First 4 /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n", z.Len(), z.Bytes()))
}

func TestActiveContentIsFound(t *testing.T) {
	jpg, png := smallJPEG(t), noisyPNG(t, 20, 4)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name   string
		data   []byte
		active bool
	}{
		{"a JPEG", jpg, false},
		{"a JPEG padded with zeros", cat(jpg, make([]byte, 64)), false},
		{"a JPEG followed by another (multi-picture)", cat(jpg, jpg), false},
		{"a JPEG followed by a web page", cat(jpg, []byte("<HTML><script>fetch('/api/v1/…')</script>")), true},
		{"a JPEG followed by a zip", cat(jpg, []byte("PK\x03\x04\x14\x00\x00\x00")), true},
		{"a PNG with a line break after it", cat(png, []byte("\r\n")), false},
		{"a PNG followed by an SVG", cat(png, []byte(`<svg onload="alert(1)"/>`)), true},
		{"a plain PDF", smallPDF(), false},
		{"a PDF that mentions JavaScript in its title", pdfWith("/Title (about /JavaScript \\) /JS)", ""), false},
		{"a PDF running JavaScript when opened", pdfWith("/OpenAction 3 0 R", "3 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj\n"), true},
		{"a PDF with JavaScript behind name escapes", pdfWith("/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>", ""), true},
		{"a PDF with JavaScript in an object stream", pdfObjectStream("3 0 << /S /JavaScript /JS (app.alert(1)) >>"), true},
		{"a PDF with a harmless object stream", pdfObjectStream("3 0 << /S /GoTo /D [2 0 R /Fit] >>"), false},
		{"a PDF launching a program", pdfWith("/OpenAction << /S /Launch /F (cmd.exe) >>", ""), true},
		{"a PDF carrying a file", pdfWith("/Names << /EmbeddedFiles 3 0 R >>", ""), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sniff(bytes.NewReader(tc.data), int64(len(tc.data)))
			if got := err != nil; got != tc.active {
				t.Errorf("refused: %v (%v), want %v", got, err, tc.active)
			}
		})
	}
}
