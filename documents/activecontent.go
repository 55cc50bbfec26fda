package documents

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// What may not follow an image's end: markup a browser would run, and other
// file formats (archives, PDFs, programs) that make the scan a polyglot.
var trailerSignatures = [][]byte{
	[]byte("<script"), []byte("<html"), []byte("<svg"), []byte("<iframe"), []byte("<object"),
	[]byte("<embed"), []byte("<body"), []byte("<!doctype"), []byte("<?php"), []byte("<?xml"),
	[]byte("javascript:"), []byte("pk\x03\x04"), []byte("%pdf-"), []byte("\x7felf"),
}

// checkActiveContent refuses a sniffed file that carries something beyond
// the picture or page: content after an image's end marker that is markup
// or another format, or a PDF that holds scripts, launch actions or
// embedded files.
func checkActiveContent(r io.ReaderAt, size int64, contentType string) error {
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && err != io.EOF {
		return fmt.Errorf("read file: %w", err)
	}
	var end int
	switch contentType {
	case "image/jpeg":
		end = jpegEnd(data)
	case "image/png":
		end = pngEnd(data)
	case "application/pdf":
		if name, err := pdfActiveName(data); err != nil || name != "" {
			return fmt.Errorf("a PDF with active content (%s%v): %w", name, errOrEmpty(err), ErrUnsupported)
		}
		return nil
	}
	if end < 0 {
		return fmt.Errorf("%s without its end marker: %w", contentType, ErrUnsupported)
	}
	trailer := bytes.ToLower(data[end:])
	for _, sig := range trailerSignatures {
		if bytes.Contains(trailer, sig) {
			return fmt.Errorf("%s followed by other content (%q): %w", contentType, sig, ErrUnsupported)
		}
	}
	return nil
}

func errOrEmpty(err error) any {
	if err == nil {
		return ""
	}
	return err
}

// pngEnd is the offset just after the IEND chunk, or -1.
func pngEnd(data []byte) int {
	for pos := len(pngMagic); pos+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[pos:]))
		next := pos + 12 + n
		if n < 0 || next > len(data) {
			return -1
		}
		if string(data[pos+4:pos+8]) == "IEND" {
			return next
		}
		pos = next
	}
	return -1
}

// jpegEnd is the offset just after the end-of-image marker, or -1. Cameras
// may append further JPEGs (multi-picture format); those are walked too.
func jpegEnd(data []byte) int {
	end := 0
	for range 8 {
		n := jpegImageEnd(data[end:])
		if n < 0 {
			return -1
		}
		end += n
		if !bytes.HasPrefix(data[end:], jpegMagic) {
			return end
		}
	}
	return end
}

// jpegImageEnd walks one JPEG's segments, and the entropy-coded data after
// each start of scan, to its end-of-image marker.
func jpegImageEnd(data []byte) int {
	pos := 2 // after SOI
	for pos+1 < len(data) {
		if data[pos] != 0xFF {
			return -1
		}
		marker := data[pos+1]
		switch {
		case marker == 0xFF: // fill byte
			pos++
			continue
		case marker == 0xD9:
			return pos + 2
		case marker >= 0xD0 && marker <= 0xD7 || marker == 0x01:
			pos += 2
			continue
		}
		if pos+4 > len(data) {
			return -1
		}
		pos += 2 + int(binary.BigEndian.Uint16(data[pos+2:]))
		if marker == 0xDA {
			pos = entropyEnd(data, pos)
		}
	}
	return -1
}

// entropyEnd is the offset of the first marker after scan data at pos:
// in the data, 0xFF is followed only by 0x00 (stuffing) or a restart.
func entropyEnd(data []byte, pos int) int {
	for pos < len(data)-1 {
		i := bytes.IndexByte(data[pos:len(data)-1], 0xFF)
		if i < 0 {
			return len(data)
		}
		pos += i
		if next := data[pos+1]; next != 0x00 && (next < 0xD0 || next > 0xD7) {
			return pos
		}
		pos += 2
	}
	return len(data)
}
