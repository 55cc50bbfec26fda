package documents

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
)

// pdfActiveNames are the PDF names that make a document do something when
// opened: run JavaScript, launch a program, carry other files, fetch or
// send data, or play rich media.
var pdfActiveNames = map[string]bool{
	"JavaScript": true, "JS": true, "Launch": true, "EmbeddedFile": true, "EmbeddedFiles": true,
	"RichMedia": true, "XFA": true, "SubmitForm": true, "ImportData": true,
}

// maxInflated bounds what compressed object streams may expand to.
const maxInflated = 64 << 20

var errPDFUncheckable = errors.New("an object stream that cannot be read")

// pdfScanner walks a PDF's tokens the way a reader does: names are decoded
// (#xx escapes included), strings, comments and stream data are skipped,
// and compressed object streams, where dictionaries may hide, are opened.
type pdfScanner struct {
	inflated int64
	objStm   bool // the current object is an object stream
	flate    bool // ... compressed with FlateDecode
	filtered bool // ... with some filter
}

// pdfActiveName returns the first active name in data, or "".
func pdfActiveName(data []byte) (string, error) {
	var s pdfScanner
	return s.scan(data, true)
}

func (s *pdfScanner) scan(data []byte, top bool) (string, error) {
	for i := 0; i < len(data); {
		switch c := data[i]; {
		case c == '/':
			name, next := pdfName(data, i+1)
			if pdfActiveNames[name] {
				return name, nil
			}
			s.note(name)
			i = next
		case c == '(':
			i = skipPDFString(data, i+1)
		case c == '%':
			i = skipLine(data, i)
		case c == '<' && i+1 < len(data) && data[i+1] == '<':
			i += 2 // a dictionary
		case c == '<':
			i = skipPast(data, i+1, ">") // a hex string
		case top && bytes.HasPrefix(data[i:], []byte("endobj")):
			s.objStm, s.flate, s.filtered = false, false, false
			i += len("endobj")
		case top && bytes.HasPrefix(data[i:], []byte("stream")) && (i == 0 || isPDFDelimiter(data[i-1])):
			name, next, err := s.stream(data, i+len("stream"))
			if err != nil || name != "" {
				return name, err
			}
			i = next
		default:
			i++
		}
	}
	return "", nil
}

func (s *pdfScanner) note(name string) {
	switch name {
	case "ObjStm":
		s.objStm = true
	case "FlateDecode":
		s.flate = true
	case "Filter":
		s.filtered = true
	}
}

// stream skips a stream's data, scanning it first when it is an object
// stream. It returns the offset after the data.
func (s *pdfScanner) stream(data []byte, start int) (string, int, error) {
	end := bytes.Index(data[start:], []byte("endstream"))
	if end < 0 {
		end = len(data)
	} else {
		end += start
	}
	body := bytes.TrimLeft(data[start:end], "\r\n")
	if !s.objStm {
		return "", end, nil
	}
	if s.filtered {
		if !s.flate {
			return "", end, errPDFUncheckable
		}
		var err error
		if body, err = s.inflate(body); err != nil {
			return "", end, err
		}
	}
	name, err := (&pdfScanner{}).scan(body, false)
	return name, end, err
}

func (s *pdfScanner) inflate(b []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, errPDFUncheckable
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxInflated-s.inflated+1))
	s.inflated += int64(len(out))
	if s.inflated > maxInflated || err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, errPDFUncheckable
	}
	return out, nil
}

// pdfName decodes the name starting at i (after its slash).
func pdfName(data []byte, i int) (string, int) {
	var name []byte
	for i < len(data) && !isPDFDelimiter(data[i]) {
		if data[i] == '#' && i+2 < len(data) && isHex(data[i+1]) && isHex(data[i+2]) {
			name = append(name, unhex(data[i+1])<<4|unhex(data[i+2]))
			i += 3
			continue
		}
		name = append(name, data[i])
		i++
	}
	return string(name), i
}

// skipPDFString skips a literal string: nested parentheses balance, and a
// backslash escapes the next byte.
func skipPDFString(data []byte, i int) int {
	for depth := 1; i < len(data) && depth > 0; i++ {
		switch data[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
		}
	}
	return i
}

func skipLine(data []byte, i int) int {
	for i < len(data) && data[i] != '\n' && data[i] != '\r' {
		i++
	}
	return i
}

func skipPast(data []byte, i int, end string) int {
	if j := bytes.Index(data[i:], []byte(end)); j >= 0 {
		return i + j + len(end)
	}
	return len(data)
}

func isPDFDelimiter(c byte) bool {
	return bytes.IndexByte([]byte(" \t\r\n\f\x00()<>[]{}/%"), c) >= 0
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}
